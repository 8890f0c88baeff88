# Campaigns are regional rows: the Django admin cannot know which region to query, so
# they are managed through the campaign pages, never the admin.
