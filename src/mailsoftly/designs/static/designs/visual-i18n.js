// Our labels for the GrapesJS visual editor, by language (GrapesJS i18n messages). The
// page picks the active Django language; missing keys fall back to English.
window.mailsoftlyVisualMessages = {
  en: {
    blockManager: {
      labels: {
        sect100: "Section",
        sect50: "Columns (2)",
        sect30: "Columns (3)",
        sect37: "Columns (3:7)",
        "text-sect": "Heading and text",
        "link-block": "Link box",
      },
    },
  },
};
