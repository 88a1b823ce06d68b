"""openams.shop: a reference merchant web shop that talks to the gateway only via openams.sdk.

``create_shop_app(settings)`` builds the FastAPI app; ``ShopSettings`` reads
``OPENAMS_SHOP_*`` variables. See docs/shop.md.
"""

from openams.shop.app import create_shop_app
from openams.shop.service import Shop, terminal_for
from openams.shop.settings import ShopSettings

__all__ = ["Shop", "ShopSettings", "create_shop_app", "terminal_for"]
