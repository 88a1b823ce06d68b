"""The products on sale; prices are integers in minor units of the shop's currency."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    price: int  # minor units


PRODUCTS: dict[str, Product] = {
    p.product_id: p
    for p in (
        Product("tea", "Oolong tea, 100 g", 8800),
        Product("mug", "Porcelain mug", 12000),
        Product("kettle", "Cast-iron kettle", 45000),
    )
}
