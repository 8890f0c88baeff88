// The design editor: format switching, the visual block editor, preview widths.
// Loaded without `defer` so the component is registered before Alpine starts.
(function () {
  "use strict";

  const NEW_BLOCKS = {
    heading: () => ({ type: "heading", text: "", level: 2, align: "left" }),
    text: () => ({ type: "text", text: "", align: "left" }),
    image: () => ({ type: "image", src: "https://", alt: "", href: "", width: 600, align: "center" }),
    button: () => ({ type: "button", text: "", href: "https://", align: "left" }),
    divider: () => ({ type: "divider" }),
    spacer: () => ({ type: "spacer", height: 24 }),
    columns: () => ({ type: "columns", columns: [{ blocks: [] }, { blocks: [] }] }),
    social: () => ({ type: "social", align: "center", links: [{ network: "web", href: "https://" }] }),
    footer: () => ({ type: "footer", text: "", address: "" }),
  };

  function register() {
    window.Alpine.data("designEditor", (initialKind) => ({
      kind: initialKind,
      doc: { settings: {}, blocks: [] },
      parseError: false,
      showJson: false,
      width: 600,

      init() {
        this.load();
        this.$watch("kind", (kind) => {
          if (kind === "blocks") this.load();
        });
      },

      load() {
        const raw = this.$refs.source.value.trim();
        try {
          const parsed = JSON.parse(raw || '{"blocks": []}');
          const blocks = Array.isArray(parsed) ? parsed : parsed.blocks || [];
          const settings = Array.isArray(parsed) ? {} : parsed.settings || {};
          if (!Array.isArray(blocks)) throw new Error("blocks");
          this.doc = { settings: settings, blocks: blocks };
          this.parseError = false;
        } catch (error) {
          this.parseError = true;
        }
      },

      sync() {
        if (this.kind === "blocks" && !this.parseError) {
          this.$refs.source.value = JSON.stringify(this.doc, null, 1);
        }
      },

      add(type) {
        const blocks = this.doc.blocks;
        const footerAt = blocks.findIndex((b) => b.type === "footer");
        const at = type === "footer" || footerAt === -1 ? blocks.length : footerAt;
        blocks.splice(at, 0, NEW_BLOCKS[type]());
        this.sync();
      },
      move(list, index, delta) {
        const target = index + delta;
        if (target < 0 || target >= list.length) return;
        const [block] = list.splice(index, 1);
        list.splice(target, 0, block);
        this.sync();
      },
      remove(list, index) {
        list.splice(index, 1);
        this.sync();
      },
      addToColumn(column, type) {
        column.blocks.push(NEW_BLOCKS[type]());
        this.sync();
      },
      addColumn(block) {
        if (block.columns.length < 3) block.columns.push({ blocks: [] });
        this.sync();
      },
      addLink(block) {
        if (block.links.length < 10) block.links.push({ network: "web", href: "https://" });
        this.sync();
      },
    }));
  }

  if (window.Alpine) register();
  else document.addEventListener("alpine:init", register);
})();
