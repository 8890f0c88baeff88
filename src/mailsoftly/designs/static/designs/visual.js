// The GrapesJS visual editor (newsletter preset plus our own email blocks) for one design.
// The canvas is an iframe GrapesJS creates on our origin: the server cleans what it opens
// on, and the HTML parser is told to drop scripts and unsafe attributes. On save the
// editor's HTML, CSS and project data go to the server, which stores them as a "visual"
// design; the server's pipeline inlines the CSS and sanitises the HTML.
(function () {
  "use strict";

  // The preset's blocks we offer. Its grid and list blocks load sample images from an
  // outside service, which would end up in sent mail, so they are left out.
  const PRESET_BLOCKS = [
    "sect100", "sect50", "sect30", "sect37", "button", "divider", "text", "text-sect",
    "image", "quote", "link", "link-block",
  ];
  const FONT = "font-family:Helvetica,Arial,sans-serif;";

  function table(rows, style) {
    return (
      '<table width="100%" cellpadding="0" cellspacing="0" border="0" role="presentation" style="' +
      (style || "") + '">' + rows + "</table>"
    );
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // The blocks the preset lacks. Table layout with inline styles only, so the
  // output survives mail clients that ignore <style>.
  function addEmailBlocks(editor, labels) {
    const blocks = editor.BlockManager;
    blocks.add("spacer", {
      label: labels.spacer,
      category: "Basic",
      media: '<svg viewBox="0 0 24 24"><path fill="currentColor" d="M4 11h16v2H4zM11 3h2v5h3l-4 3-4-3h3zM11 21h2v-5h3l-4-3-4 3h3z"/></svg>',
      content: table('<tr><td style="height:32px;line-height:32px;font-size:1px;">&nbsp;</td></tr>'),
    });
    const networks = ["Facebook", "Instagram", "LinkedIn", "X"];
    blocks.add("social-links", {
      label: labels.social,
      category: "Basic",
      media: '<svg viewBox="0 0 24 24"><path fill="currentColor" d="M18 16a3 3 0 0 0-2.4 1.2l-6.7-3.4a3 3 0 0 0 0-1.6l6.7-3.4A3 3 0 1 0 15 7l-6.7 3.4a3 3 0 1 0 0 3.2L15 17a3 3 0 1 0 3-1z"/></svg>',
      content: table(
        '<tr><td align="center" style="padding:16px 8px;">' +
          '<table cellpadding="0" cellspacing="0" border="0" role="presentation" align="center"><tr>' +
          networks
            .map(function (name) {
              return (
                '<td style="padding:0 8px;' + FONT + 'font-size:14px;">' +
                '<a href="https://example.com/" style="color:#2563eb;text-decoration:none;">' +
                name + "</a></td>"
              );
            })
            .join("") +
          "</tr></table></td></tr>"
      ),
    });
    blocks.add("footer-unsubscribe", {
      label: labels.footer,
      category: "Basic",
      media: '<svg viewBox="0 0 24 24"><path fill="currentColor" d="M2 16h20v5H2zM4 18v1h16v-1zM2 3h20v11H2z" opacity=".9"/></svg>',
      content: table(
        '<tr><td align="center" style="padding:24px 16px;' + FONT +
          'font-size:12px;line-height:1.5;color:#6b7280;">' +
          escapeHtml(labels.footerText) + "<br>" +
          '<a href="{{ unsubscribe_url }}" style="color:#6b7280;">' + escapeHtml(labels.unsubscribe) +
          "</a> · " +
          '<a href="{{ preferences_url }}" style="color:#6b7280;">' + escapeHtml(labels.preferences) +
          "</a></td></tr>"
      ),
    });
  }

  function start() {
    const container = document.getElementById("gjs");
    if (!container || !window.grapesjs) return;
    const preset = window["grapesjs-preset-newsletter"];
    const initial = JSON.parse(document.getElementById("visual-initial").textContent || "{}");
    const assets = JSON.parse(document.getElementById("visual-assets").textContent || "[]");
    const data = container.dataset;
    const messages = window.mailsoftlyVisualMessages || {};
    const locale = (data.locale || "en").split("-")[0];
    const presetTexts = (window.mailsoftlyVisualPresetTexts || {})[locale] || {};
    const config = {
      container: container,
      height: "75vh",
      fromElement: false,
      storageManager: false,
      // Images come from the media library; no uploads or data: URLs from the editor.
      assetManager: { assets: assets, upload: false, uploadFile: null, embedAsBase64: false },
      // Imported HTML keeps no scripts, on* attributes or javascript: URLs.
      parser: {
        optionsHtml: { allowScripts: false, allowUnsafeAttr: false, allowUnsafeAttrValue: false },
      },
      i18n: {
        locale: locale,
        localeFallback: "en",
        detectLocale: false,
        messagesAdd: messages,
      },
      plugins: [
        function (ed) {
          // One "Basic" category for the preset's blocks and ours.
          (preset.default || preset)(ed, Object.assign({}, presetTexts, {
            blocks: PRESET_BLOCKS,
            block: function () {
              return { category: "Basic" };
            },
          }));
        },
      ],
    };
    if (initial.project) {
      config.projectData = initial.project;
    } else {
      config.components = initial.html || "";
      config.style = initial.css || "";
    }
    const editor = window.grapesjs.init(config);
    addEmailBlocks(editor, {
      spacer: data.labelSpacer,
      social: data.labelSocial,
      footer: data.labelFooter,
      footerText: data.footerText,
      unsubscribe: data.unsubscribe,
      preferences: data.preferences,
    });
    window.editor = editor; // for tests and the browser console
    document.getElementById("visual-form").addEventListener("submit", function () {
      document.getElementById("visual-html").value = editor.getHtml();
      document.getElementById("visual-css").value = editor.getCss();
      document.getElementById("visual-project").value = JSON.stringify(editor.getProjectData());
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
