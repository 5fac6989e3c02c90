"""Typed values a database cannot hold, or nobody means, are refused at the edge: a 404 for an
id in a URL, a form error for a field, never a 500 and never a stored row."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.baskets.models import BasketOffer
from marketplace.bounds import DB_INT_MAX, BoundedIntConverter, bounded_int, clean_text
from marketplace.delivery import recurrence
from marketplace.extensions import db
from marketplace.forms import BaseForm, SubForm
from tests import factories
from tests.baskets.test_offers_manage import offer_form
from tests.organisations.pages import page_text

HUGE_IDS = ("2147483648", "9223372036854775808", "1" + "0" * 40, "9" * 5000)


@pytest.fixture
def group():
    group = factories.GroupFactory(slug="tilleuls")
    db.session.commit()
    return group


@pytest.fixture
def farm(group):
    supply = factories.ProducerSuppliesGroupFactory(group=group)
    db.session.commit()
    return supply.producer


def offers() -> int:
    return db.session.scalar(select(func.count(BasketOffer.id)))


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_an_id_beyond_the_database_is_a_404_for_a_visitor(client, group, huge):
    assert client.get(f"/groupes/tilleuls/offres/{huge}").status_code == 404


def test_every_integer_in_every_route_is_bounded(app):
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if "Integer" in type(converter).__name__ or isinstance(converter, BoundedIntConverter):
                assert isinstance(converter, BoundedIntConverter), (rule.rule, name)
                assert converter.max == DB_INT_MAX


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_a_huge_id_in_a_query_string_is_a_404(client, group, user_with_role, huge):
    user_with_role("coordinator", group)
    response = client.get(f"/groupes/tilleuls/gestion/paiements/saisir?user={huge}")
    assert response.status_code == 404


def test_a_huge_id_in_a_form_is_a_form_error(client, group, farm, user_with_role):
    user_with_role("coordinator", group)
    response = client.post(
        "/groupes/tilleuls/gestion/offres/nouveau", data=offer_form(farm, producer_id=HUGE_IDS[1])
    )
    assert response.status_code == 200
    assert offers() == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"season_ends_on": "9999-12-31"},
        {"season_starts_on": "0001-01-01"},
        {"signup_opens_on": "1999-12-31"},
        {"max_absences": "1000000000000"},
        {"max_absences": "-9223372036854775809"},
        {"name": "x" * 20_000},
    ],
)
def test_values_nobody_means_are_refused_with_a_message(
    client, group, farm, user_with_role, changes
):
    user_with_role("coordinator", group)
    response = client.post(
        "/groupes/tilleuls/gestion/offres/nouveau", data=offer_form(farm, **changes)
    )
    assert response.status_code == 200
    assert offers() == 0
    assert "hors des limites" in page_text(response) or "caractères" in page_text(response)


def test_control_characters_are_cleaned_from_texts(client, group, farm, user_with_role):
    user_with_role("coordinator", group)
    response = client.post(
        "/groupes/tilleuls/gestion/offres/nouveau",
        data=offer_form(farm, name="Légumes\x07 été\x1b 2026", description="Une\r\nligne\x7f"),
    )
    assert response.status_code == 302
    offer = db.session.scalar(select(BasketOffer))
    assert offer.name == "Légumes été 2026"
    assert offer.description == "Une\r\nligne"


def test_a_nul_character_anywhere_is_refused(client, group, farm, user_with_role):
    user_with_role("coordinator", group)
    posted = client.post(
        "/groupes/tilleuls/gestion/offres/nouveau", data=offer_form(farm, name="Légumes\x00")
    )
    assert posted.status_code == 400
    assert client.get("/groupes/tilleuls/gestion/membres?q=a%00b").status_code == 400
    assert offers() == 0


def test_the_helpers_say_no_to_what_no_column_holds():
    assert bounded_int("42") == 42
    assert bounded_int(" 7 ") == 7
    for refused in ("2147483648", "-2147483648", "9" * 5000, "1e3", "", None, True, "٣"):
        assert bounded_int(refused) is None
    assert clean_text("a\x00b\x1fc\td\ne") == "abc\td\ne"


def test_every_form_of_the_site_has_the_shared_bounds():
    from flask_wtf import FlaskForm
    from wtforms import Form

    import marketplace.models  # noqa: F401 - every domain, so every form is imported
    from marketplace.blueprints import register_blueprints  # noqa: F401 - every view module

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    strays = [
        f"{form.__module__}.{form.__qualname__}"
        for form in subclasses(Form)
        if form.__module__.startswith("marketplace")
        and not issubclass(form, (BaseForm, SubForm))
        and form not in (FlaskForm,)
    ]
    assert strays == []


def test_far_dates_end_the_calendar_quickly_and_without_error():
    rule = "FREQ=WEEKLY;BYDAY=TU"
    started = time.perf_counter()
    assert recurrence.occurrences_between(rule, date(2026, 1, 6), date(9998, 1, 1), date.max) == []
    assert recurrence.next_occurrence_dates(rule, date(2026, 1, 6), date(9999, 12, 31), 3) == []
    tuesdays = recurrence.occurrences_between(
        rule, date(2026, 1, 6), date(2100, 12, 1), date(9999, 12, 31)
    )
    assert tuesdays[-1] == date(2100, 12, 28)
    assert time.perf_counter() - started < 0.5
    with pytest.raises(recurrence.RecurrenceError):
        recurrence.validate_rule(rule, date(9999, 12, 31))


def test_every_text_a_person_types_has_its_own_length():
    """A free text field states its length (or a pattern or a list that bounds it), so a text
    too long for its column is a form error next to the field, not a refused request."""
    from wtforms import HiddenField, StringField
    from wtforms.fields.core import UnboundField
    from wtforms.validators import AnyOf, Length, Regexp

    import marketplace.models  # noqa: F401 - every domain, so every form is imported
    from marketplace.blueprints import register_blueprints  # noqa: F401 - every view module
    from marketplace.forms import DecimalCommaField
    from marketplace.payments.fields import EuroField

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    parsed = (HiddenField, DecimalCommaField, EuroField)  # read as ids, numbers or amounts
    unbounded = []
    for form in set(subclasses(BaseForm)) | set(subclasses(SubForm)):
        for name in dir(form):
            field = getattr(form, name, None)
            if not isinstance(field, UnboundField) or not issubclass(
                field.field_class, StringField
            ):
                continue
            if issubclass(field.field_class, parsed):
                continue
            validators = field.kwargs.get("validators") or (
                field.args[1] if len(field.args) > 1 else []
            )
            if not any(isinstance(rule, (Length, Regexp, AnyOf)) for rule in validators):
                unbounded.append(f"{form.__module__}.{form.__qualname__}.{name}")
    assert sorted(unbounded) == [], "\n".join(sorted(unbounded))
