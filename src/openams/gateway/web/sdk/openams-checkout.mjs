// openams-checkout as an ES module: runs the classic script, then exports its classes.
// The gateway defaults to the origin this module was loaded from.
import "./ams-checkout.js";

const sdk = globalThis.OpenAMSCheckout;
sdk.defaultGateway = new URL(import.meta.url).origin;

export const { AMSCheckoutPage, AMSElement, AMSCashierPayment, EVENT_CODES } = sdk;
export default sdk;
