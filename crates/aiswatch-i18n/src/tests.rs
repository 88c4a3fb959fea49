use super::*;

fn shipped() -> &'static Catalogs {
    Catalogs::shipped()
}

#[test]
fn every_catalog_has_every_message_english_has() {
    let c = shipped();
    let langs: Vec<&str> = c.languages().collect();
    assert!(langs.len() >= 3, "{langs:?}");
    assert_eq!(langs[0], ENGLISH);
    for lang in langs {
        let missing = c.missing(lang);
        assert!(
            missing.is_empty(),
            "locales/{lang}.ftl lacks messages English has: {missing:?}"
        );
    }
}

#[test]
fn figures_are_written_the_languages_way() {
    let c = shipped();
    let m = Message::new("speeding")
        .text("vessel", "224000001 (ALBORAN, ES)")
        .duration("duration", (2 * 60 + 30) * 60_000)
        .text("zone", "Golfe")
        .decimal("max_speed_kn", 4.56, 1)
        .decimal("limit_kn", 12.0, 1)
        .duration("min_duration", 26 * 3_600_000)
        .text("ended", "");
    assert_eq!(
        c.render("en", &m).unwrap(),
        "224000001 (ALBORAN, ES) speeding 2h 30m in Golfe at up to 4.6 kn (limit 12.0 kn for 1d 02h 00m)."
    );
    let fr = c.render("fr", &m).unwrap();
    assert!(fr.contains("2 h 30 min"), "{fr}");
    assert!(fr.contains("4,6 nœuds"), "{fr}");
    assert!(fr.contains("1 j 02 h 00 min"), "{fr}");
    let pt = c.render("pt", &m).unwrap();
    assert!(pt.contains("4,6 nós"), "{pt}");
}

/// French puts a unit in the singular below two, as the figure is shown.
#[test]
fn a_unit_takes_the_plural_of_its_figure_as_shown() {
    let c = shipped();
    let speeding = |max: f64| {
        Message::new("speeding")
            .text("vessel", "V")
            .duration("duration", 0)
            .text("zone", "Z")
            .decimal("max_speed_kn", max, 1)
            .decimal("limit_kn", 12.0, 1)
            .duration("min_duration", 0)
            .text("ended", "")
    };
    for (max, want) in [
        (1.5, "jusqu'à 1,5 nœud (limite 12,0 nœuds"),
        (0.04, "jusqu'à 0,0 nœud ("),
        (1.96, "jusqu'à 2,0 nœuds ("),
        (1.94, "jusqu'à 1,9 nœud ("),
    ] {
        let fr = c.render("fr", &speeding(max)).unwrap();
        assert!(fr.contains(want), "{max}: {fr}");
    }
    let returned = Message::new("dark-period-returned")
        .text("vessel", "V")
        .duration("gap", 3_600_000)
        .text("zone", "Z")
        .decimal("distance_nm", 1.0, 1)
        .decimal("speed_kn", 7.5, 1);
    let fr = c.render("fr", &returned).unwrap();
    assert!(
        fr.contains("à 1,0 mille de l'endroit") && fr.contains("implicite 7,5 nœuds)"),
        "{fr}"
    );
}

#[test]
fn big_numbers_are_grouped_where_the_language_groups_them() {
    let c = shipped();
    let m = Message::new("rendezvous")
        .text("vessel", "A")
        .text("other", "B")
        .duration("duration", 0)
        .text("zone", "Z")
        .decimal("distance_m", 12345.0, 0)
        .decimal("closest_m", 950.0, 0)
        .decimal("max_speed_kn", 1.0, 1)
        .decimal("threshold_m", -1234.5, 1)
        .duration("min_duration", 0)
        .text("silences", "")
        .text("ended", "");
    let en = c.render("en", &m).unwrap();
    assert!(en.contains("12345 m apart (closest 950 m)"), "{en}");
    assert!(en.contains("threshold -1234.5 m"), "{en}");
    let fr = c.render("fr", &m).unwrap();
    assert!(fr.contains("12\u{202F}345 m"), "{fr}");
    assert!(fr.contains("-1234,5 m"), "{fr}");
}

#[test]
fn words_and_nested_sentences_follow_the_language() {
    let c = shipped();
    let m = Message::new("identity-change-open")
        .text("vessel", "V")
        .message(
            "change",
            Message::new("identity-change-attribute")
                .word("field", "field-ship-type", "ship type")
                .text("from", "70")
                .text("to", "30"),
        )
        .text("zone", "Z")
        .int("count", 2);
    assert_eq!(
        c.render("en", &m).unwrap(),
        "V: ship type changed from 70 to 30 in Z (2 identity changes so far)."
    );
    assert_eq!(
        c.render("fr", &m).unwrap(),
        "V : type de navire changé de 70 en 30 dans Z (2 changements d'identité jusqu'ici)."
    );
    let one = m.clone().int("count", 1);
    assert!(c
        .render("en", &one)
        .unwrap()
        .ends_with("(1 identity change so far)."));
    // A word no catalog has reads as its text.
    let r = Message::new("ended-clause").word("reason", reason_id("blown ashore"), "blown ashore");
    assert_eq!(c.render("fr", &r).unwrap(), " ; fin : blown ashore");
    assert_eq!(reason_id("left the zone"), "reason-left-the-zone");
    assert_eq!(reason_id("zone_removed"), "reason-zone-removed");
}

#[test]
fn a_missing_message_is_said_in_english_and_counted() {
    let c = Catalogs::from_sources(&[
        ("en", "hello = Hello { $who }\nbye = Bye\n"),
        ("fr", "hello = Bonjour { $who }\n"),
    ])
    .unwrap();
    let bye = Message::new("bye");
    assert_eq!(c.render("fr", &bye).as_deref(), Some("Bye"));
    assert_eq!(c.fallbacks(), vec![("fr", 1)]);
    assert_eq!(c.missing("fr"), vec!["bye".to_string()]);
    // A message needing an argument it lacks is not shown half-filled.
    let hello = Message::new("hello");
    assert_eq!(c.render("fr", &hello), None);
    assert_eq!(
        c.render("fr", &Message::new("hello").text("who", "Ana"))
            .as_deref(),
        Some("Bonjour Ana")
    );
    // A message nobody has is never shown as its id.
    assert_eq!(c.render("en", &Message::new("nope")), None);
}

#[test]
fn tags_are_negotiated_to_a_catalog() {
    let c = shipped();
    assert_eq!(c.negotiate("fr"), Some("fr"));
    assert_eq!(c.negotiate("fr-CI"), Some("fr"));
    assert_eq!(c.negotiate("pt-AO"), Some("pt"));
    assert_eq!(c.negotiate("en-GB"), Some("en"));
    assert_eq!(c.negotiate("de"), None);
    assert_eq!(c.negotiate("not a tag!"), None);
}

#[test]
fn bad_catalogs_are_refused_naming_the_file() {
    let e = Catalogs::from_sources(&[("en", "a = A\n"), ("fr", "b = { $\n")]).unwrap_err();
    assert!(e.0.starts_with("locales/fr.ftl:"), "{e}");
    let e = Catalogs::from_sources(&[("fr", "a = A\n")]).unwrap_err();
    assert!(e.0.contains("no English catalog"), "{e}");
}

#[test]
fn messages_round_trip_through_json() {
    let m = Message::new("x")
        .text("a", "b")
        .int("n", 3)
        .decimal("d", 1.25, 2)
        .duration("t", 60_000)
        .word("w", "reason-parted", "parted")
        .message("m", Message::new("y"))
        .arg("c", Arg::Clauses(vec![Message::new("z")]));
    let j = serde_json::to_string(&m).unwrap();
    let back: Message = serde_json::from_str(&j).unwrap();
    assert_eq!(back, m);
}

#[test]
fn every_sentence_is_translated_not_copied() {
    let c = shipped();
    // Said the same way in every shipped language.
    let same = [
        "report-summary",
        "report-table-rule",
        "list-separator",
        "clause-separator",
        "report-file",
    ];
    for lang in c.languages().filter(|l| *l != ENGLISH) {
        let copied: Vec<String> = c
            .ids(ENGLISH)
            .into_iter()
            .filter(|id| !id.starts_with(CONSOLE_PREFIX) && !same.contains(&id.as_str()))
            .filter(|id| {
                let m = |l: &str| pattern(c.catalog(l), id, None);
                m(lang) == m(ENGLISH)
            })
            .collect();
        assert!(
            copied.is_empty(),
            "locales/{lang}.ftl says these as English does: {copied:?}"
        );
    }
}
