"""The server-rendered app shell: layout, navigation, workspace switcher, dashboard, Outbox."""
