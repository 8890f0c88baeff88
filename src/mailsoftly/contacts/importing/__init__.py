"""Contact import: sniff a CSV/XLSX file, stream its rows, map columns, apply in batches.

* :mod:`.files`   — encoding/delimiter detection and streaming row readers (never the whole
  file in memory; XLSX through openpyxl's read-only mode behind a zip-bomb check).
* :mod:`.mapping` — column-to-field mapping with presets (Mailchimp audience export).
* :mod:`.engine`  — validation, dedupe and the batched, resumable, all-or-nothing-per-batch
  writer that the Celery task calls.
"""
