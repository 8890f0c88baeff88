"""Workspaces (teams) and memberships: who may see and do what in which workspace."""
