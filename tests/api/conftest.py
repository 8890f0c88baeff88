import pytest

from tests.api.helpers import auth, make_key, subscribe_pro


@pytest.fixture(autouse=True)
def _pro_plan(request):
    if "workspace" in request.fixturenames:
        subscribe_pro(request.getfixturevalue("workspace"))


@pytest.fixture
def api_token(workspace, user):
    return make_key(workspace, user)[1]


@pytest.fixture
def api(client, api_token):
    """Call the API as the workspace's key: api.get(path), api.post(path, json)."""

    class Caller:
        token = api_token

        def _h(self, headers):
            return {**auth(self.token), **(headers or {})}

        def get(self, path, headers=None, **params):
            return client.get(f"/api/v1{path}", params, headers=self._h(headers))

        def post(self, path, data=None, headers=None):
            return client.post(
                f"/api/v1{path}",
                data or {},
                content_type="application/json",
                headers=self._h(headers),
            )

        def patch(self, path, data=None, headers=None):
            return client.patch(
                f"/api/v1{path}",
                data or {},
                content_type="application/json",
                headers=self._h(headers),
            )

        def delete(self, path, headers=None):
            return client.delete(f"/api/v1{path}", headers=self._h(headers))

    return Caller()
