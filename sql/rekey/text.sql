-- Every text column of the data tables in NFC, the form this release stores text in (the
-- names were done with their ids): what an earlier release stored from a dump that was not.
-- '{unsafe}' holds every character a text not in NFC has one of (etl/run/rekey.py): the rows
-- without one are passed over without being normalized (nfc_normalize is slow).
update posts
set
    title = nfc_normalize(title),
    subtitle = nfc_normalize(subtitle),
    image_credit = nfc_normalize(image_credit),
    body = nfc_normalize(body)
where
    regexp_matches(concat_ws(chr(10), title, subtitle, image_credit, body), '{unsafe}')
    and (
        title <> nfc_normalize(title)
        or subtitle <> nfc_normalize(subtitle)
        or image_credit <> nfc_normalize(image_credit)
        or body <> nfc_normalize(body)
    );

update comment_entries
set
    author = nfc_normalize(author),
    body = nfc_normalize(body)
where
    regexp_matches(concat_ws(chr(10), author, body), '{unsafe}')
    and (author <> nfc_normalize(author) or body <> nfc_normalize(body));

update documents
set site_name = nfc_normalize(site_name)
where site_name <> nfc_normalize(site_name);

update document_warnings
set message = nfc_normalize(message)
where regexp_matches(message, '{unsafe}') and message <> nfc_normalize(message);
