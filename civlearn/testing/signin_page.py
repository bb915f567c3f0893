"""The eCPA sign-in page as a test reads it, for the tests of its cached fragments (content's announcements and help
links, sso's provider buttons). Their second visitor, one who chose English, is the `english_visitor` fixture
(conftest.py)."""

from __future__ import annotations


def signin_page(client, query: str = "") -> str:
    response = client.get("/ecpa/signin" + query)
    assert response.status_code == 200
    return response.content.decode()
