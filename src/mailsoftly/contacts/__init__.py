"""Contacts and audiences: the workspace's address book, lists, segments, consent and suppression."""
