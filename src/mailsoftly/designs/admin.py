# Designs are workspace content in regional databases; they are managed in the app, not
# in the Django admin (whose querysets know nothing about regions).
