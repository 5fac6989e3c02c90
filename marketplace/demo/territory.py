"""The demo territory: the Monts et Coteaux du Lyonnais and two Lyon neighbourhoods.

Made-up people and farms at plausible addresses, for newcomers to click through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

DEMO_PASSWORD = "Demo-Circuits-Courts-2026"  # noqa: S105 - published in the README on purpose
DEMO_DOMAIN = "demo.amap.test"


@dataclass(frozen=True)
class Place:
    name: str
    address: str
    postcode: str
    city: str
    latitude: float
    longitude: float
    access_notes: str = ""
    capacity: int | None = None


@dataclass(frozen=True)
class Calendar:
    pickup_point: str
    label: str
    rrule: str
    start: time
    end: time
    opens_days_before: int = 7
    closes_days_before: int = 2


@dataclass(frozen=True)
class DemoGroup:
    slug: str
    name: str
    description: str
    city: str
    postcode: str
    latitude: float
    longitude: float
    pickup_points: tuple[Place, ...]
    calendars: tuple[Calendar, ...]
    producers: tuple[str, ...]
    households: int


@dataclass(frozen=True)
class DemoProducer:
    slug: str
    name: str
    trade: str
    labels: str
    description: str
    address: str
    postcode: str
    city: str
    latitude: float
    longitude: float
    phone: str = ""


@dataclass(frozen=True)
class DemoAccount:
    """A named demo login listed in the README, one per role."""

    email: str
    name: str
    roles: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (organisation slug, role)
    is_admin: bool = False


PRODUCERS = (
    DemoProducer(
        "ferme-du-coteau",
        "Ferme du Coteau",
        "maraicher",
        "ab",
        "Maraîchage diversifié sur 3 hectares : une quarantaine de légumes de saison, "
        "cultivés sans pesticides de synthèse et récoltés la veille de la distribution.",
        "Lieu-dit Le Coteau, chemin de la Bâtie",
        "69440",
        "Mornant",
        45.6186,
        4.6722,
        "04 78 44 12 30",
    ),
    DemoProducer(
        "fournil-des-monts",
        "Fournil des Monts",
        "boulanger",
        "ab nature_progres",
        "Pains au levain cuits au feu de bois, farines de blés anciens moulues à la meule.",
        "12 route de Rochefort",
        "69850",
        "Saint-Martin-en-Haut",
        45.6590,
        4.5600,
    ),
    DemoProducer(
        "chevrerie-de-la-combe",
        "Chèvrerie de la Combe",
        "fromager",
        "ab",
        "Soixante chèvres alpines au pâturage ; fromages lactiques frais, demi-secs et tommes.",
        "La Combe",
        "69510",
        "Yzeron",
        45.7080,
        4.5900,
    ),
    DemoProducer(
        "elevage-du-pre-vert",
        "Élevage du Pré Vert",
        "eleveur",
        "bienvenue_ferme",
        "Bœuf et porc élevés en plein air, colis de viande découpée à la ferme.",
        "Le Pré Vert",
        "69850",
        "Duerne",
        45.6860,
        4.5270,
    ),
    DemoProducer(
        "rucher-des-crets",
        "Rucher des Crêts",
        "apiculteur",
        "ab",
        "Miels de printemps, de châtaignier et de montagne ; pain d'épices au miel.",
        "Route des Crêts",
        "69440",
        "Riverie",
        45.6000,
        4.5900,
    ),
    DemoProducer(
        "vergers-de-soucieu",
        "Vergers de Soucieu",
        "arboriculteur",
        "hve",
        "Cerises, pommes, poires et jus de fruits des coteaux du Lyonnais.",
        "45 chemin des Vergers",
        "69510",
        "Soucieu-en-Jarrest",
        45.6770,
        4.7020,
    ),
    DemoProducer(
        "poulailler-de-la-grange",
        "Poulailler de la Grange",
        "aviculteur",
        "ab",
        "Œufs de poules élevées en plein air et volailles fermières.",
        "La Grange Neuve",
        "69670",
        "Vaugneray",
        45.7380,
        4.6560,
    ),
    DemoProducer(
        "moulin-de-la-coise",
        "Moulin de la Coise",
        "meunier",
        "demeter",
        "Farines de blé, seigle et sarrasin moulues sur meule de pierre.",
        "Le Moulin",
        "69590",
        "Larajasse",
        45.6130,
        4.5000,
    ),
    DemoProducer(
        "brasserie-des-coteaux",
        "Brasserie des Coteaux",
        "brasseur",
        "",
        "Bières artisanales brassées avec l'orge maltée de la région.",
        "8 rue de la Poste",
        "69126",
        "Brindas",
        45.7200,
        4.6950,
    ),
)

GROUPS = (
    DemoGroup(
        slug="amap-croix-rousse",
        name="AMAP de la Croix-Rousse",
        description="Une centaine de foyers du plateau de la Croix-Rousse, en contrat avec des "
        "fermes des Monts du Lyonnais depuis 2008.",
        city="Lyon 4e",
        postcode="69004",
        latitude=45.7769,
        longitude=4.8280,
        pickup_points=(
            Place(
                "Maison des associations",
                "28 rue Denfert-Rochereau",
                "69004",
                "Lyon",
                45.7772,
                4.8268,
                "Salle du rez-de-chaussée, entrée par la cour.",
                80,
            ),
            Place(
                "Cour de l'école Commandant Arnaud",
                "9 rue Commandant Arnaud",
                "69004",
                "Lyon",
                45.7791,
                4.8310,
                "Sous le préau, portail ouvert de 18 h à 20 h.",
                40,
            ),
        ),
        calendars=(
            Calendar(
                "Maison des associations",
                "Mardi soir",
                "FREQ=WEEKLY;BYDAY=TU",
                time(18, 30),
                time(20, 0),
                # Open nine days ahead, so that a Tuesday's shop opens before the previous
                # one's closes (two days ahead): Foyer Martin always finds the shop open.
                9,
            ),
            Calendar(
                "Cour de l'école Commandant Arnaud",
                "Premier samedi du mois",
                "FREQ=MONTHLY;BYDAY=1SA",
                time(10, 0),
                time(12, 0),
                10,
                3,
            ),
        ),
        producers=(
            "ferme-du-coteau",
            "fournil-des-monts",
            "chevrerie-de-la-combe",
            "rucher-des-crets",
            "vergers-de-soucieu",
        ),
        households=25,
    ),
    DemoGroup(
        slug="amap-villeurbanne-gratte-ciel",
        name="AMAP Villeurbanne Gratte-Ciel",
        description="Des voisin·es des Gratte-Ciel qui préfinancent les saisons de leurs "
        "producteur·rices et se relaient aux permanences du jeudi.",
        city="Villeurbanne",
        postcode="69100",
        latitude=45.7667,
        longitude=4.8799,
        pickup_points=(
            Place(
                "Salle du Rize",
                "23 rue Valentin Haüy",
                "69100",
                "Villeurbanne",
                45.7650,
                4.8790,
                "Hall d'accueil, à gauche après l'entrée.",
                60,
            ),
            Place(
                "Préau du groupe scolaire Jules-Ferry",
                "14 rue Jules-Ferry",
                "69100",
                "Villeurbanne",
                45.7710,
                4.8920,
                "Accès par la rue piétonne.",
                35,
            ),
        ),
        calendars=(
            Calendar(
                "Salle du Rize", "Jeudi soir", "FREQ=WEEKLY;BYDAY=TH", time(18, 0), time(19, 30)
            ),
            Calendar(
                "Préau du groupe scolaire Jules-Ferry",
                "Un jeudi sur deux",
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
                time(17, 30),
                time(19, 0),
            ),
        ),
        producers=(
            "ferme-du-coteau",
            "poulailler-de-la-grange",
            "elevage-du-pre-vert",
            "moulin-de-la-coise",
            "brasserie-des-coteaux",
        ),
        households=20,
    ),
    DemoGroup(
        slug="amap-monts-du-lyonnais",
        name="AMAP des Monts du Lyonnais",
        description="L'AMAP rurale du canton : distribution sous la halle le vendredi et, un "
        "samedi sur deux, directement à la ferme.",
        city="Saint-Symphorien-sur-Coise",
        postcode="69590",
        latitude=45.6320,
        longitude=4.4560,
        pickup_points=(
            Place(
                "Halle du marché",
                "Place du Marché",
                "69590",
                "Saint-Symphorien-sur-Coise",
                45.6322,
                4.4563,
                "Sous la halle couverte, côté fontaine.",
                50,
            ),
            Place(
                "À la Ferme du Coteau",
                "Chemin de la Bâtie",
                "69440",
                "Mornant",
                45.6186,
                4.6722,
                "Se garer dans la cour, distribution dans la grange.",
                25,
            ),
        ),
        calendars=(
            Calendar(
                "Halle du marché",
                "Vendredi fin d'après-midi",
                "FREQ=WEEKLY;BYDAY=FR",
                time(17, 0),
                time(19, 0),
            ),
            Calendar(
                "À la Ferme du Coteau",
                "Un samedi sur deux à la ferme",
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
                time(9, 30),
                time(11, 30),
            ),
        ),
        producers=(
            "ferme-du-coteau",
            "fournil-des-monts",
            "elevage-du-pre-vert",
            "rucher-des-crets",
            "moulin-de-la-coise",
            "vergers-de-soucieu",
        ),
        households=15,
    ),
)

GROCERY = {
    "slug": "epicerie-la-passerelle",
    "name": "Épicerie solidaire La Passerelle",
    "description": "Épicerie solidaire de Givors : des produits frais et locaux à 10 à 30 % du "
    "prix, et une camionnette qui passe chaque semaine dans les villages sans commerce.",
    "address": "5 rue Joseph-Faure",
    "postcode": "69700",
    "city": "Givors",
    "latitude": 45.5906,
    "longitude": 4.7689,
    "phone": "04 72 49 00 00",
}


def demo_email(local_part: str) -> str:
    return f"{local_part}@{DEMO_DOMAIN}"


ACCOUNTS = (
    DemoAccount(demo_email("admin"), "Administration du territoire", is_admin=True),
    DemoAccount(
        demo_email("claire.coordination"),
        "Claire Bernard",
        (("amap-croix-rousse", "coordinator"), ("amap-croix-rousse", "member")),
    ),
    DemoAccount(demo_email("foyer.martin"), "Foyer Martin", (("amap-croix-rousse", "member"),)),
    DemoAccount(
        demo_email("benevole.lucas"),
        "Lucas Petit",
        (("amap-croix-rousse", "volunteer"), ("amap-croix-rousse", "member")),
    ),
    DemoAccount(
        demo_email("ferme.coteau"),
        "Julien Morel (Ferme du Coteau)",
        (("ferme-du-coteau", "producer_staff"),),
    ),
    DemoAccount(
        demo_email("epicerie.passerelle"),
        "Nadia Haddad (La Passerelle)",
        (("epicerie-la-passerelle", "grocery_staff"),),
    ),
    DemoAccount(
        demo_email("coordination.villeurbanne"),
        "Karim Benali",
        (
            ("amap-villeurbanne-gratte-ciel", "coordinator"),
            ("amap-villeurbanne-gratte-ciel", "member"),
        ),
    ),
    DemoAccount(
        demo_email("coordination.monts"),
        "Monique Chapuis",
        (("amap-monts-du-lyonnais", "coordinator"), ("amap-monts-du-lyonnais", "member")),
    ),
)

FIRST_NAMES = (
    "Camille",
    "Léa",
    "Hugo",
    "Chloé",
    "Louis",
    "Manon",
    "Gabriel",
    "Inès",
    "Arthur",
    "Jade",
    "Paul",
    "Sarah",
    "Nathan",
    "Zoé",
    "Jules",
    "Amina",
    "Théo",
    "Lina",
    "Yanis",
    "Alice",
)
LAST_NAMES = (
    "Girard",
    "Roux",
    "Fournier",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefèvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
)
