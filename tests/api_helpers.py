"""Building blocks for the API's tests: registrations, and requests with a token."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.test import Client

from portal.models import ApiClient, Organisation, User
from tests.issuer import Issuer

P = ApiClient.Permission


def register(
    organisation: Organisation,
    client_id: str,
    *permissions: str,
    by: User,
    name: str = "HR-systemet",
) -> ApiClient:
    """A registration in force (the pages' own services are tested in test_integrations)."""
    return ApiClient.objects.create(
        organisation=organisation,
        client_id=client_id,
        name=name,
        permissions=list(permissions),
        registered_by=by,
    )


@dataclass
class Caller:
    """An organisation's system calling the API with a token from ``issuer``."""

    issuer: Issuer
    org_number: str
    client_id: str

    def headers(self, **extra: str) -> dict[str, str]:
        token = self.issuer.mint(org_number=self.org_number, client_id=self.client_id)
        return {"Authorization": f"Bearer {token}", **extra}

    def get(self, path: str, **params: Any) -> Any:
        return Client().get(path, params, headers=self.headers())

    def post(self, path: str, data: dict[str, Any], key: str | None = None) -> Any:
        headers = self.headers(**{"Idempotency-Key": key or str(uuid.uuid4())})
        return Client().post(path, data, headers=headers)


def caller(issuer: Issuer, client: ApiClient) -> Caller:
    return Caller(issuer, client.organisation.org_number, client.client_id)


def problem(response: Any) -> dict[str, Any]:
    """The problem+json body of a refusal (and that it is one)."""
    assert response["Content-Type"] == "application/problem+json", response.content
    body: dict[str, Any] = json.loads(response.content)
    assert body["status"] == response.status_code
    assert body["title"]
    assert body["detail"]
    return body
