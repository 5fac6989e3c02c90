// Card and SEPA pages: Stripe.js collects the card or the IBAN and sends it to Stripe only;
// our forms then post Stripe's SetupIntent id. Loaded after Stripe.js (see templates/cards/).
(function () {
  "use strict";

  function showError(box, message) {
    box.textContent = message || box.dataset.defaultError;
    box.hidden = false;
  }

  function setupForm(form) {
    const stripe = Stripe(form.dataset.stripeKey);
    const method = form.dataset.method;
    const errors = form.querySelector(".card-errors");
    const hidden = form.querySelector("input[name$='setup_intent_id']");
    const button = form.querySelector("button[type='submit']");
    let card = null;
    if (method === "card") {
      card = stripe.elements().create("card");
      card.mount(form.querySelector(".card-element"));
    }
    form.addEventListener("submit", async function (event) {
      if (hidden.value) {
        return; // confirmed by Stripe: let the form go
      }
      event.preventDefault();
      button.disabled = true;
      errors.hidden = true;
      const billing = { name: form.dataset.holderName, email: form.dataset.holderEmail };
      let result;
      if (method === "card") {
        result = await stripe.confirmCardSetup(form.dataset.clientSecret, {
          payment_method: { card: card, billing_details: billing },
        });
      } else {
        const iban = form.querySelector(".iban-input").value.replace(/\s+/g, "");
        result = await stripe.confirmSepaDebitSetup(form.dataset.clientSecret, {
          payment_method: { sepa_debit: { iban: iban }, billing_details: billing },
        });
      }
      if (result.error || !result.setupIntent) {
        showError(errors, result.error && result.error.message);
        button.disabled = false;
        return;
      }
      hidden.value = result.setupIntent.id;
      form.submit();
    });
  }

  async function authenticate(box) {
    const stripe = Stripe(box.dataset.stripeKey);
    // Whatever happens, the result page asks Stripe for the real state.
    await stripe.confirmCardPayment(box.dataset.clientSecret);
    window.location.assign(box.dataset.returnUrl);
  }

  document.querySelectorAll("form.card-setup").forEach(setupForm);
  const box = document.getElementById("card-authenticate");
  if (box) {
    box.querySelector("button").addEventListener("click", function (event) {
      event.target.disabled = true;
      authenticate(box);
    });
  }
})();
