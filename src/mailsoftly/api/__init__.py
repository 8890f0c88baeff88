"""The public REST API (``/api/v1/``): API keys, authentication, rate limits, idempotency.

Endpoints are thin: they parse, look objects up through the owning app's ``access_*``
selectors with the key's workspace, and call that app's services. See :mod:`.v1`.
"""
