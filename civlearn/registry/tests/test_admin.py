from civlearn.registry.models import Agency
from conftest import make_person


def test_person_list_masks_ids_and_finds_by_exact_id_name_and_agency(client, operator, agency, other_agency):
    make_person(agency, "A123456789", "王小明")
    make_person(other_agency, "F131104093", "陳美玲")
    client.force_login(operator)

    listing = client.get("/admin/registry/person/").content.decode()
    by_id = client.get("/admin/registry/person/", {"q": "a123456789"}).content.decode()
    by_partial_id = client.get("/admin/registry/person/", {"q": "A12345"}).content.decode()
    by_agency = client.get("/admin/registry/person/", {"q": "379000000A"}).content.decode()
    by_name = client.get("/admin/registry/person/", {"q": "王小明"}).content.decode()

    assert "A12345****" in listing and "F13110****" in listing
    assert "A123456789" not in listing
    assert "王小明" in by_id and "陳美玲" not in by_id
    assert "王小明" not in by_partial_id
    assert "陳美玲" in by_agency and "王小明" not in by_agency.split("result_list")[-1]
    assert "王小明" in by_name.split("result_list")[-1] and "陳美玲" not in by_name.split("result_list")[-1]


def test_agency_admin_searches_by_code(client, operator, agency, other_agency):
    client.force_login(operator)

    body = client.get("/admin/registry/agency/", {"q": "379000000A"}).content.decode()

    assert "臺北市政府" in body.split("result_list")[-1]
    assert "國立臺中科技大學" not in body.split("result_list")[-1]
    assert Agency.objects.count() == 2
