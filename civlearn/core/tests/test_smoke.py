def test_home_page_links_the_three_faces(client, db):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    for label in ("人事服務網 eCPA", "e等公務園+學習平臺", "公務人員終身學習入口網站"):
        assert label in body
