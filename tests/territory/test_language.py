from marketplace.accounts.models import User
from marketplace.extensions import db
from tests import factories


def test_visitor_switches_to_english_and_back(client):
    response = client.post("/langue", data={"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.location.endswith("/")
    assert 'lang="en"' in client.get("/").text

    client.post("/langue", data={"language": "fr", "next": "/"})
    assert 'lang="fr"' in client.get("/").text


def test_english_pages_are_translated(client):
    client.post("/langue", data={"language": "en"})
    page = client.get("/")
    assert "Our area" in page.text
    assert "Le territoire" not in page.text


def test_unknown_language_is_ignored(client):
    client.post("/langue", data={"language": "de"})
    assert 'lang="fr"' in client.get("/").text


def test_language_choice_is_saved_on_the_profile(client, login):
    user = login(factories.UserFactory())
    db.session.commit()

    client.post("/langue", data={"language": "en"})

    db.session.expire_all()
    assert db.session.get(User, user.id).language == "en"


def test_redirect_never_leaves_the_site(client):
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post("/langue", data={"language": "en", "next": target})
        assert response.location in ("/", "http://localhost/")
