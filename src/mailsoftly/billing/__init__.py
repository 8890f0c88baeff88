"""Plans and billing: plan limits enforced in services, payments through a gateway.

Billing is account-level data, so every billing row lives in the directory database,
never in a region. Card data never reaches us (policy P07): the card is typed only on the
gateway's own page, and we keep only gateway ids plus the brand and last four digits
when the gateway sends them.

Other apps call two functions (see :mod:`mailsoftly.billing.services`):

* ``limit_check(workspace=..., resource=..., amount=1, value=None)`` raises
  :class:`~mailsoftly.billing.errors.LimitExceeded` before a write would go over the plan;
* ``usage_get(workspace=...)`` returns current usage and limits for display.
"""
