"""Two real app servers without Redis (the default setup: the database cache) see an operator's change at once.

Each server warms its in-memory copies first (the rule book, the OAuth client); the change is then made by another
process (a management command), and the very next request to each server must follow it.
"""

from __future__ import annotations

import json

import pytest
import requests

from civlearn.core.tests.processes import site

INSTITUTION = "A09600000Q"
RECORD = {
    "national_id": "A123456789",
    "name": "王小明",
    "course_name": "環境教育",
    "course_code": "C-1",
    "period": "1",
    "category_code": "999",
    "county_code": "40",
    "certified_hours": "2",
    "digital_hours": "2",
    "physical_hours": "0",
    "mode": 1,
    "course_start": "2024-03-01T09:00:00+08:00",
    "course_end": "2024-03-31T17:00:00+08:00",
    "actual_start": "2024-03-21T09:00:00+08:00",
    "actual_end": "2024-03-21T11:00:00+08:00",
}
NOT_IN_TABLE = "不是 2024-03-21 適用之課程類別代碼表中的代碼"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    with site(tmp_path_factory.mktemp("shared-cache")) as made:
        made.shell(
            f"from civlearn.registry.models import Agency; Agency.objects.create(code='{INSTITUTION}', name='學院')"
        )
        lines = made.manage("hours_api_client", "--institution", INSTITUTION, "--name", "課程系統").splitlines()
        credentials = dict(line.split(": ", 1) for line in lines if line.startswith("client_"))
        first, second = made.granian()[1], made.granian()[1]
        yield made, credentials, (first, second)


def _token(url: str, client_id: str, secret: str) -> requests.Response:
    return requests.post(
        url + "/o/token/",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        timeout=10,
    )


def _category_errors(url: str, token: str) -> list[dict]:
    response = requests.post(
        url + "/api/v1/hours/records",
        json={"records": [RECORD]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    return [error for error in result["errors"] if error["field"] == "category_code"]


def test_a_loaded_category_table_is_used_by_both_servers_at_once(two_servers, tmp_path):
    made, credentials, servers = two_servers
    tokens = {}
    for url in servers:
        answer = _token(url, credentials["client_id"], credentials["client_secret"])
        assert answer.status_code == 200, answer.text
        tokens[url] = answer.json()["access_token"]
        # given each server has built its rule book, in which code 999 does not exist
        assert _category_errors(url, tokens[url]) == [{"field": "category_code", "message": NOT_IN_TABLE}]

    # when an operator loads a table in force from 2024-03-01 that has it (another process: a command)
    table = tmp_path / "table.csv"
    table.write_text("code,parent_code,name\n999,,新設類別\n", encoding="utf-8")
    out = made.manage("load_categories", str(table), "--name", "2024-03", "--effective-from", "2024-03-01")
    assert "已匯入 1 個代碼" in out

    # then the next request to each server checks against the new table
    for url in servers:
        assert _category_errors(url, tokens[url]) == []


def test_a_changed_client_secret_is_refused_by_both_servers_at_once(two_servers):
    made, credentials, servers = two_servers
    client_id, old_secret = credentials["client_id"], credentials["client_secret"]
    # given both servers hold the client in memory (a token each)
    for url in servers:
        assert _token(url, client_id, old_secret).status_code == 200

    # when an operator sets a new secret (a save, as the admin page does) in another process
    made.shell(
        "from oauth2_provider.models import Application;"
        f"a = Application.objects.get(client_id={json.dumps(client_id)}); a.client_secret = 'new-secret-0123456789';"
        "a.save()"
    )

    # then at once neither server accepts the old secret, and both accept the new one
    for url in servers:
        refused = _token(url, client_id, old_secret)
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_client"
        assert _token(url, client_id, "new-secret-0123456789").status_code == 200


def _published_kids(url: str) -> list[str]:
    response = requests.get(url + "/o/.well-known/jwks.json", timeout=10)
    assert response.status_code == 200
    return sorted(key["kid"] for key in response.json()["keys"])


def test_a_rotated_signing_key_is_published_by_both_servers_at_once(two_servers):
    made, _credentials, servers = two_servers
    # given both servers publish the same keys (each has read the key list)
    before = _published_kids(servers[0])
    assert _published_kids(servers[1]) == before

    # when an operator rotates the key (another process: the command)
    out = made.manage("oidc_rotate_key")
    new_kid = out.split("active key ", 1)[1].split(";", 1)[0]

    # then both servers publish the new key next to the old ones at once
    for url in servers:
        assert _published_kids(url) == sorted([*before, new_kid])
