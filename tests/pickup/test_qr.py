"""The household's QR code: only its own, signed, and opening its line for the day's team."""

from __future__ import annotations

import re
from datetime import timedelta

from marketplace.extensions import db
from marketplace.pickup import qr
from tests import factories
from tests.pickup.test_closing import make_scene, page_text


def scan_path(user_id: int) -> str:
    return f"/distributions/scan/{qr.household_token(user_id)}"


def test_a_member_sees_their_own_code_only(client, login, app):
    member = factories.UserFactory(name="Foyer Martin")
    factories.UserFactory(name="Foyer Voisin")
    db.session.commit()
    login(member)

    response = client.get("/distributions/mon-code")
    assert response.status_code == 200
    text = page_text(response)
    assert "<svg" in text and "Code de retrait de Foyer Martin" in text
    link = re.search(r'http://[^"<\s]*/distributions/scan/[^"<\s]+', text).group(0)
    assert qr.household_for_token(link.rsplit("/", 1)[1]) == member.id
    # No way to ask for someone else's: the page takes no household parameter.
    other = page_text(client.get("/distributions/mon-code?user_id=2"))
    assert re.search(r'http://[^"<\s]*/distributions/scan/[^"<\s]+', other).group(0) == link
    assert "style=" not in text.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_the_code_needs_a_login(client):
    assert client.get("/distributions/mon-code").status_code == 302


def test_a_volunteer_of_the_day_scans_a_code_and_lands_on_that_households_line(client, login):
    scene = make_scene(ends_in=timedelta(hours=1))
    first = scene.basket(scene.offer("credit"))
    second = scene.basket(scene.offer("credit"))
    volunteer = scene.volunteer()
    db.session.commit()
    login(volunteer)

    for delivery in (first, second):
        household = delivery.subscription.user_id
        response = client.get(scan_path(household))
        assert response.status_code == 302
        assert response.headers["Location"].endswith(
            f"/distributions/{scene.day.id}/liste#line-u{household}"
        )


def test_a_household_with_only_extras_is_found_too(client, login):
    scene = make_scene(ends_in=timedelta(hours=1))
    buyer = factories.UserFactory()
    scene.order(buyer, scene.availability())
    coordinator = scene.coordinator()
    db.session.commit()
    login(coordinator)

    response = client.get(scan_path(buyer.id))
    assert response.headers["Location"].endswith(f"#line-u{buyer.id}")


def test_a_member_who_is_not_on_the_roster_cannot_use_a_scanned_code(client, login):
    scene = make_scene(ends_in=timedelta(hours=1))
    delivery = scene.basket(scene.offer("credit"))
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=scene.group, role="member")
    other_volunteer = factories.ShiftSignupFactory().user  # on another day's roster
    db.session.commit()

    for outsider in (member, other_volunteer):
        login(outsider)
        assert client.get(scan_path(delivery.subscription.user_id)).status_code == 403
    # Even one's own code does not open the checklist for a member.
    login(delivery.subscription.user)
    assert client.get(scan_path(delivery.subscription.user_id)).status_code == 403


def test_a_forged_or_damaged_code_is_refused_clearly(client, login, app):
    scene = make_scene(ends_in=timedelta(hours=1))
    delivery = scene.basket(scene.offer("credit"))
    volunteer = scene.volunteer()
    db.session.commit()
    login(volunteer)
    household = delivery.subscription.user_id
    genuine = qr.household_token(household)
    payload, signature = genuine.split(".")
    other_household = qr.household_token(household + 1).split(".")[0]

    for token in (
        genuine[:-2],  # damaged
        f"{other_household}.{signature}",  # another household's id under this signature
        "bm90LWEtdG9rZW4",  # made up
    ):
        response = client.get(f"/distributions/scan/{token}")
        assert response.status_code == 400
        assert "Ce code QR n'est pas valide" in page_text(response)

    with app.test_request_context():
        from itsdangerous import URLSafeSerializer

        forged = URLSafeSerializer("another-secret", salt=qr.QR_SALT).dumps(
            {"household": household}
        )
    assert client.get(f"/distributions/scan/{forged}").status_code == 400


def test_a_household_with_nothing_today_is_said_so(client, login):
    scene = make_scene(ends_in=timedelta(hours=1))
    volunteer = scene.volunteer()
    nobody = factories.UserFactory()
    db.session.commit()
    login(volunteer)

    response = client.get(scan_path(nobody.id))
    assert response.status_code == 404
    assert "n'a rien à retirer aujourd'hui" in page_text(response)


def test_the_dashboard_links_to_the_code(client, login):
    group = factories.GroupFactory()
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=group, role="member")
    db.session.commit()
    login(member)
    assert "/distributions/mon-code" in page_text(client.get("/tableau-de-bord"))
