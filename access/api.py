"""The API's access orders (issue 17, point 4): a system drafts, an orderer submits.

A system never orders: it drafts an order, which an authorised orderer of the
organisation sees on the order page, changes if need be, and submits as their own
(rule 3 asked of them, ``access.ordering.do_submit_order``).
"""

from __future__ import annotations

from ninja import Router

router = Router(tags=["access orders"])
