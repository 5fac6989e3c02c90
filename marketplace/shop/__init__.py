"""The weekly shop: households order extras à la carte; producers' harvest and packing lists."""
