"""A grocery's vans and depots: create and edit them (services flush, never commit)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.routes.models import Depot, Van

MAX_VAN_NAME = 80
MAX_DEPOT_NAME = 120
MAX_ADDRESS = 200
MAX_CRATES = 10_000
MAX_KG = 100_000


@dataclass(frozen=True)
class VanData:
    name: str
    capacity_crates: int | None
    capacity_kg: int | None = None
    active: bool = True


@dataclass(frozen=True)
class DepotData:
    name: str
    address: str
    latitude: float | None
    longitude: float | None


def vans_of(grocery: Grocery, *, active_only: bool = False) -> list[Van]:
    query = select(Van).where(Van.grocery_id == grocery.id)
    if active_only:
        query = query.where(Van.active.is_(True))
    return list(db.session.scalars(query.order_by(Van.active.desc(), Van.name)))


def depots_of(grocery: Grocery) -> list[Depot]:
    return list(
        db.session.scalars(select(Depot).where(Depot.grocery_id == grocery.id).order_by(Depot.name))
    )


def check_coordinates(latitude: float | None, longitude: float | None) -> None:
    """Both coordinates given and on the globe; `field` names the faulty one."""
    if latitude is None:
        raise DomainError(_("Indiquez la latitude."), field="latitude")
    if longitude is None:
        raise DomainError(_("Indiquez la longitude."), field="longitude")
    if not -90 <= latitude <= 90:
        raise DomainError(_("La latitude doit être comprise entre -90 et 90."), field="latitude")
    if not -180 <= longitude <= 180:
        raise DomainError(
            _("La longitude doit être comprise entre -180 et 180."), field="longitude"
        )


def _check_van(grocery: Grocery, data: VanData, van: Van | None) -> str:
    name = data.name.strip()
    if not name:
        raise DomainError(_("Indiquez le nom du camion."), field="name")
    if len(name) > MAX_VAN_NAME:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_VAN_NAME), field="name")
    if data.capacity_crates is None or not 1 <= data.capacity_crates <= MAX_CRATES:
        raise DomainError(
            _("Indiquez une capacité entre 1 et %(max)d caisses.", max=MAX_CRATES),
            field="capacity_crates",
        )
    if data.capacity_kg is not None and not 1 <= data.capacity_kg <= MAX_KG:
        raise DomainError(
            _("Indiquez une charge entre 1 et %(max)d kg, ou laissez vide.", max=MAX_KG),
            field="capacity_kg",
        )
    taken = db.session.scalar(select(Van.id).where(Van.grocery_id == grocery.id, Van.name == name))
    if taken is not None and (van is None or taken != van.id):
        raise DomainError(_("L'épicerie a déjà un camion de ce nom."), field="name")
    return name


def create_van(grocery: Grocery, data: VanData) -> Van:
    name = _check_van(grocery, data, None)
    van = Van(
        grocery_id=grocery.id,
        name=name,
        capacity_crates=data.capacity_crates,
        capacity_kg=data.capacity_kg,
        active=data.active,
    )
    db.session.add(van)
    db.session.flush()
    return van


def update_van(van: Van, data: VanData) -> Van:
    van.name = _check_van(van.grocery, data, van)
    van.capacity_crates = data.capacity_crates
    van.capacity_kg = data.capacity_kg
    van.active = data.active
    db.session.flush()
    return van


def _check_depot(grocery: Grocery, data: DepotData, depot: Depot | None) -> str:
    name = data.name.strip()
    if not name:
        raise DomainError(_("Indiquez le nom du dépôt."), field="name")
    if len(name) > MAX_DEPOT_NAME:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_DEPOT_NAME), field="name")
    if len(data.address) > MAX_ADDRESS:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_ADDRESS), field="address")
    check_coordinates(data.latitude, data.longitude)
    taken = db.session.scalar(
        select(Depot.id).where(Depot.grocery_id == grocery.id, Depot.name == name)
    )
    if taken is not None and (depot is None or taken != depot.id):
        raise DomainError(_("L'épicerie a déjà un dépôt de ce nom."), field="name")
    return name


def create_depot(grocery: Grocery, data: DepotData) -> Depot:
    name = _check_depot(grocery, data, None)
    depot = Depot(
        grocery_id=grocery.id,
        name=name,
        address=data.address.strip(),
        latitude=data.latitude,
        longitude=data.longitude,
    )
    db.session.add(depot)
    db.session.flush()
    return depot


def update_depot(grocery: Grocery, depot: Depot, data: DepotData) -> Depot:
    depot.name = _check_depot(grocery, data, depot)
    depot.address = data.address.strip()
    depot.latitude, depot.longitude = data.latitude, data.longitude
    db.session.flush()
    return depot
