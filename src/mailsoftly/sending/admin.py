# SMTP servers, identities, DKIM keys and captured mail are regional rows (and hold
# secrets): the Django admin cannot know which region to query, so they are managed
# through the workspace's sending settings pages, never the admin.
