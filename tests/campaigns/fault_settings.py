"""Settings of the Celery worker subprocesses started by tests/campaigns/test_faults.py.

The project's settings, with a short lease so that a killed worker's rows come back
within seconds rather than five minutes, and small batches so a kill lands mid-campaign.
"""

from mailsoftly.config.settings import *  # noqa: F403

SENDING_LEASE_SECONDS = 3
SENDING_BATCH_SIZE = 10
