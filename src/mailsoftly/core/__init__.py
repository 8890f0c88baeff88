"""Cross-cutting plumbing: the clock, regions and tenancy base models, health, logging, mail capture."""
