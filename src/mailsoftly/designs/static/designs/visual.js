// The GrapesJS visual editor (newsletter preset) for one design. The editor's canvas is an
// iframe GrapesJS creates; on save the preset's inlined-CSS export goes to the server, which
// sanitises it and saves it through the normal design pipeline.
(function () {
  "use strict";

  function addEmailBlocks(editor, labels) {
    const blocks = editor.BlockManager;
    const cell = "padding:0;margin:0;";
    blocks.add("spacer", {
      label: labels.spacer,
      category: "Basic",
      attributes: { class: "gjs-fonts gjs-f-hero" },
      content:
        '<table width="100%" cellpadding="0" cellspacing="0" role="presentation" style="' + cell + '">' +
        '<tr><td style="height:32px;line-height:32px;font-size:1px;">&nbsp;</td></tr></table>',
    });
    blocks.add("social-links", {
      label: labels.social,
      category: "Basic",
      attributes: { class: "fa fa-share-alt" },
      content:
        '<table align="center" cellpadding="0" cellspacing="0" role="presentation" style="margin:16px auto;">' +
        "<tr>" +
        ["Facebook", "Instagram", "LinkedIn", "X"]
          .map(function (name) {
            return (
              '<td style="padding:0 8px;font-family:Arial,sans-serif;font-size:14px;">' +
              '<a href="https://example.com/" style="color:#2563eb;text-decoration:none;">' + name + "</a></td>"
            );
          })
          .join("") +
        "</tr></table>",
    });
    blocks.add("footer-unsubscribe", {
      label: labels.footer,
      category: "Basic",
      attributes: { class: "fa fa-envelope-o" },
      content:
        '<table width="100%" cellpadding="0" cellspacing="0" role="presentation">' +
        '<tr><td style="padding:24px 16px;text-align:center;font-family:Arial,sans-serif;font-size:12px;color:#6b7280;">' +
        '<a href="{{ unsubscribe_url }}" style="color:#6b7280;">' + labels.unsubscribe + "</a> · " +
        '<a href="{{ preferences_url }}" style="color:#6b7280;">' + labels.preferences + "</a>" +
        "</td></tr></table>",
    });
  }

  function start() {
    const container = document.getElementById("gjs");
    if (!container || !window.grapesjs) return;
    const preset = window["grapesjs-preset-newsletter"];
    const initial = JSON.parse(document.getElementById("visual-initial").textContent || '""');
    const editor = window.grapesjs.init({
      container: container,
      height: "75vh",
      fromElement: false,
      components: initial,
      storageManager: false,
      plugins: [preset.default || preset],
    });
    const data = container.dataset;
    addEmailBlocks(editor, {
      spacer: data.labelSpacer,
      social: data.labelSocial,
      footer: data.labelFooter,
      unsubscribe: data.unsubscribe,
      preferences: data.preferences,
    });
    // The preset's grid and list blocks load their sample images from an outside
    // service, which would end up in sent mail: they are not offered.
    ["grid-items", "list-items"].forEach(function (id) {
      if (editor.BlockManager.get(id)) editor.BlockManager.remove(id);
    });
    window.editor = editor; // for tests and the browser console
    document.getElementById("visual-form").addEventListener("submit", function () {
      document.getElementById("visual-html").value = editor.runCommand("gjs-get-inlined-html");
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
