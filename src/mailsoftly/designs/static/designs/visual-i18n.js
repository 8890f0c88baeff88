// Our labels for the GrapesJS visual editor, by language (GrapesJS i18n messages, our own
// wording). The page passes the active Django language; a missing key falls back to
// English, GrapesJS's own or the ones below.
// The newsletter preset's own texts are options of the preset, not i18n messages.
window.mailsoftlyVisualPresetTexts = {
  de: {
    modalTitleImport: "Vorlage importieren",
    modalBtnImport: "Importieren",
    modalTitleExport: "Vorlage exportieren",
    textCleanCanvas: "Wirklich den ganzen Inhalt der E-Mail löschen?",
  },
};
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
  de: {
    assetManager: {
      addButton: "Bild hinzufügen",
      inputPlh: "https://beispiel.de/bild.jpg",
      modalTitle: "Bild auswählen",
      uploadTitle: "Dateien hierher ziehen oder zum Hochladen klicken",
    },
    blockManager: {
      labels: {
        sect100: "Abschnitt",
        sect50: "Spalten (2)",
        sect30: "Spalten (3)",
        sect37: "Spalten (3:7)",
        button: "Schaltfläche",
        divider: "Trennlinie",
        text: "Text",
        "text-sect": "Überschrift und Text",
        image: "Bild",
        quote: "Zitat",
        link: "Link",
        "link-block": "Link-Box",
        spacer: "Abstand",
        "social-links": "Social-Media-Links",
        "footer-unsubscribe": "Fußzeile mit Abmeldelink",
      },
      categories: { Basic: "Grundelemente" },
    },
    domComponents: {
      names: {
        "": "Box",
        wrapper: "Inhalt",
        text: "Text",
        comment: "Kommentar",
        image: "Bild",
        video: "Video",
        label: "Beschriftung",
        link: "Link",
        map: "Karte",
        tfoot: "Tabellenfuß",
        tbody: "Tabelleninhalt",
        thead: "Tabellenkopf",
        table: "Tabelle",
        row: "Tabellenzeile",
        cell: "Tabellenzelle",
      },
    },
    deviceManager: {
      device: "Gerät",
      devices: {
        desktop: "Desktop",
        tablet: "Tablet",
        mobileLandscape: "Handy quer",
        mobilePortrait: "Handy hochkant",
      },
    },
    panels: {
      buttons: {
        titles: {
          preview: "Vorschau",
          fullscreen: "Vollbild",
          "sw-visibility": "Elementrahmen zeigen",
          "export-template": "Code ansehen",
          "open-sm": "Stile bearbeiten",
          "open-tm": "Einstellungen",
          "open-layers": "Ebenen",
          "open-blocks": "Blöcke",
        },
      },
    },
    selectorManager: {
      label: "Klassen",
      selected: "Ausgewählt",
      emptyState: "- Zustand -",
      states: { hover: "Beim Überfahren", active: "Beim Klicken", "nth-of-type(2n)": "Gerade/Ungerade" },
    },
    styleManager: {
      empty: "Wählen Sie zuerst ein Element aus, um seine Stile zu bearbeiten.",
      layer: "Ebene",
      fileButton: "Bilder",
      sectors: {
        general: "Allgemein",
        layout: "Layout",
        typography: "Schrift",
        decorations: "Gestaltung",
        extra: "Weiteres",
        flex: "Flex",
        dimension: "Abmessungen",
      },
      properties: {
        "margin-top-sub": "Oben",
        "margin-right-sub": "Rechts",
        "margin-bottom-sub": "Unten",
        "margin-left-sub": "Links",
        "padding-top-sub": "Oben",
        "padding-right-sub": "Rechts",
        "padding-bottom-sub": "Unten",
        "padding-left-sub": "Links",
        "border-width-sub": "Breite",
        "border-style-sub": "Stil",
        "border-color-sub": "Farbe",
        "border-top-left-radius-sub": "Oben links",
        "border-top-right-radius-sub": "Oben rechts",
        "border-bottom-right-radius-sub": "Unten rechts",
        "border-bottom-left-radius-sub": "Unten links",
        "background-image-sub": "Bild",
        "background-repeat-sub": "Wiederholen",
        "background-position-sub": "Position",
        "background-attachment-sub": "Fixierung",
        "background-size-sub": "Größe",
      },
    },
    traitManager: {
      empty: "Wählen Sie zuerst ein Element aus, um seine Einstellungen zu bearbeiten.",
      label: "Element-Einstellungen",
      traits: {
        labels: { id: "ID", alt: "Alternativtext", title: "Titel", href: "Linkziel", target: "Öffnen in" },
        attributes: {
          id: { placeholder: "z. B. Text hier" },
          alt: { placeholder: "z. B. Text hier" },
          title: { placeholder: "z. B. Text hier" },
          href: { placeholder: "z. B. https://beispiel.de" },
        },
        options: { target: { false: "Diesem Fenster", _blank: "Neuem Fenster" } },
      },
    },
    storageManager: { recover: "Ungespeicherte Änderungen wiederherstellen?" },
  },
};
