"""The Factur-X (CII, MINIMUM profile) XML of a business's document, embedded in its PDF.

A seller that is a business (it charges VAT and has a SIRET) gets its documents as Factur-X:
the PDF a person reads, with the machine-readable invoice inside. The XML is checked against
the official schema by the `factur-x` library before it is embedded.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from marketplace.invoicing.models import Document, DocumentKind

LEVEL = "minimum"
TYPE_CODES = {DocumentKind.INVOICE.value: "380", DocumentKind.CREDIT_NOTE.value: "381"}


def is_business(document: Document) -> bool:
    return document.seller_vat_liable and bool(document.seller_siret)


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def cii_xml(document: Document) -> bytes:
    seller_ids = (
        f'<ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">{escape(document.seller_siret)}'
        "</ram:ID></ram:SpecifiedLegalOrganization>"
    )
    tax_registration = (
        "<ram:SpecifiedTaxRegistration>"
        f'<ram:ID schemeID="VA">{escape(document.seller_vat_number)}</ram:ID>'
        "</ram:SpecifiedTaxRegistration>"
    )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocumentContext>
<ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID>
</ram:GuidelineSpecifiedDocumentContextParameter>
</rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument>
<ram:ID>{escape(document.reference)}</ram:ID>
<ram:TypeCode>{TYPE_CODES[document.kind]}</ram:TypeCode>
<ram:IssueDateTime><udt:DateTimeString format="102">{document.issued_on:%Y%m%d}</udt:DateTimeString>
</ram:IssueDateTime>
</rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction>
<ram:ApplicableHeaderTradeAgreement>
<ram:SellerTradeParty>
<ram:Name>{escape(document.seller_name)}</ram:Name>
{seller_ids}
<ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
{tax_registration}
</ram:SellerTradeParty>
<ram:BuyerTradeParty><ram:Name>{escape(document.buyer_name)}</ram:Name></ram:BuyerTradeParty>
</ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeDelivery/>
<ram:ApplicableHeaderTradeSettlement>
<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
<ram:SpecifiedTradeSettlementHeaderMonetarySummation>
<ram:TaxBasisTotalAmount>{_amount(document.net_cents)}</ram:TaxBasisTotalAmount>
<ram:TaxTotalAmount currencyID="EUR">{_amount(document.vat_cents)}</ram:TaxTotalAmount>
<ram:GrandTotalAmount>{_amount(document.total_cents)}</ram:GrandTotalAmount>
<ram:DuePayableAmount>{_amount(document.total_cents)}</ram:DuePayableAmount>
</ram:SpecifiedTradeSettlementHeaderMonetarySummation>
</ram:ApplicableHeaderTradeSettlement>
</rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""
    return xml.encode("utf-8")


def check(xml: bytes) -> None:
    """Raise if the XML does not follow the Factur-X schema of its profile."""
    import facturx  # with its PDF libraries: loaded when a Factur-X is first made

    facturx.xml_check_xsd(xml, flavor="factur-x", level=LEVEL)


def embed(pdf: bytes, document: Document) -> bytes:
    """The PDF with the document's checked XML inside (a Factur-X PDF)."""
    xml = cii_xml(document)
    check(xml)
    import facturx

    return facturx.generate_from_binary(
        pdf, xml, flavor="factur-x", level=LEVEL, check_xsd=True, lang="fr-FR"
    )
