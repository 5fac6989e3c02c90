from tests import factories


def test_home_page_answers_in_french(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="fr"' in response.text


def test_factories_build_a_coordinator(user_with_role):
    group = factories.GroupFactory()
    user = user_with_role("coordinator", group)
    assert user.id
