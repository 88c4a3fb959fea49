//! Alerts and their changes, scopes and acknowledgements.

use super::*;

#[tokio::test]
async fn alerts_keep_every_change_and_respect_scopes() {
    for (s, _dir) in stores().await {
        let mut b = Batch::default();
        b.alerts.push(alert(7, "A", State::Open, 1_100_000));
        b.alerts.push(alert(8, "B", State::Open, 1_200_000));
        s.write(&b).await.unwrap();
        let mut b = Batch::default();
        b.alerts.push(alert(7, "A", State::Update, 1_300_000));
        b.alerts.push(alert(7, "A", State::Closed, 1_400_000));
        s.write(&b).await.unwrap();
        // Changes already stored (a re-import) are not stored again.
        s.write(&b).await.unwrap();

        let a7 = Alert::make_id(Kind::Loitering, "z", &[Mmsi(7)], 1_000_000);
        let a8 = Alert::make_id(Kind::Loitering, "z", &[Mmsi(8)], 1_000_000);
        let h = s.alert(&a7, &Scope::Admin).await.unwrap().unwrap();
        assert_eq!(h.changes.len(), 3);
        assert!(h.changes[2].contains("\"state\":\"closed\""));
        assert_eq!(h.latest.json, h.changes[2]);
        let a = Scope::Centre("A".into());
        assert!(s.alert(&a7, &a).await.unwrap().is_some());
        assert!(
            s.alert(&a8, &a).await.unwrap().is_none(),
            "{}: B's alert hidden from A",
            s.kind()
        );

        let f = |scope: Scope| AlertFilter {
            scope,
            zone: None,
            kind: None,
            open: None,
            mmsi: None,
            since: None,
            until: None,
            limit: 10,
            cursor: None,
        };
        let all = s.alerts(&f(Scope::Admin)).await.unwrap();
        assert_eq!(
            all.alerts.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
            vec![a8.clone(), a7.clone()]
        );
        let only_a = s.alerts(&f(a.clone())).await.unwrap();
        assert_eq!(only_a.alerts.len(), 1);
        assert_eq!(only_a.alerts[0].id, a7);
        let open = s
            .alerts(&AlertFilter {
                open: Some(true),
                ..f(Scope::Admin)
            })
            .await
            .unwrap();
        assert_eq!(open.alerts.len(), 1);
        assert_eq!(open.alerts[0].id, a8);
        let by_mmsi = s
            .alerts(&AlertFilter {
                mmsi: Some(Mmsi(7)),
                ..f(Scope::Admin)
            })
            .await
            .unwrap();
        assert_eq!(by_mmsi.alerts.len(), 1);
        let since = s
            .alerts(&AlertFilter {
                since: Some(1_500_000),
                ..f(Scope::Admin)
            })
            .await
            .unwrap();
        assert_eq!(
            since.alerts.len(),
            1,
            "closed before since: only the open one"
        );
        let p1 = s
            .alerts(&AlertFilter {
                limit: 1,
                ..f(Scope::Admin)
            })
            .await
            .unwrap();
        assert_eq!(p1.alerts.len(), 1);
        let p2 = s
            .alerts(&AlertFilter {
                limit: 1,
                cursor: p1.next_cursor,
                ..f(Scope::Admin)
            })
            .await
            .unwrap();
        assert_eq!(p2.alerts[0].id, a7);
        assert_eq!(p2.next_cursor, None);
        let open = s.open_alerts().await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(s.alert_counts(&Scope::Admin).await.unwrap(), (2, 1));
        assert_eq!(
            s.alert_counts(&Scope::Centre("B".into())).await.unwrap(),
            (1, 1)
        );
        s.close().await;
    }
}

#[tokio::test]
async fn acks_are_kept_per_centre() {
    for (store, _dir) in stores().await {
        let mut shared = alert(5, "A", State::Open, 2_000_000);
        shared.centre.push(CentreId::from("B"));
        let only_b = alert(6, "B", State::Open, 2_000_000);
        let batch = Batch {
            positions: vec![],
            statics: vec![],
            alerts: vec![shared.clone(), only_b.clone()],
            ticks: vec![],
            heard: vec![],
            emitted_at: None,
            input: None,
        };
        store.write(&batch).await.unwrap();
        let a = Scope::Centre(CentreId::from("A"));
        let b = Scope::Centre(CentreId::from("B"));
        let ack = |scope: Scope, id: AlertId, by: &'static str, at: Millis| {
            let store = &store;
            async move { store.ack_alert(&id, &scope, by, "seen", at).await.unwrap() }
        };
        // A centre acknowledges only what it sees.
        assert_eq!(ack(a.clone(), only_b.id.clone(), "a1", 10).await, None);
        assert_eq!(ack(a.clone(), AlertId::from("nope"), "a1", 10).await, None);
        let first = ack(a.clone(), shared.id.clone(), "a1", 10).await.unwrap();
        assert_eq!(
            (
                first.centre.as_ref().map(|c| c.as_str()),
                first.by.as_str(),
                first.at
            ),
            (Some("A"), "a1", 10)
        );
        ack(b.clone(), shared.id.clone(), "b1", 11).await.unwrap();
        ack(a.clone(), shared.id.clone(), "a2", 12).await.unwrap();
        ack(Scope::Admin, only_b.id.clone(), "root", 13)
            .await
            .unwrap();
        let n = |id: &AlertId| {
            let store = &store;
            let id = id.clone();
            async move {
                store
                    .alert(&id, &Scope::Admin)
                    .await
                    .unwrap()
                    .unwrap()
                    .latest
                    .n
            }
        };
        let ns = [n(&shared.id).await, n(&only_b.id).await];
        let who = |acks: Vec<Ack>| acks.into_iter().map(|k| k.by).collect::<Vec<_>>();
        // Each centre its own, oldest first; an admin everything.
        assert_eq!(who(store.acks(&ns, &a).await.unwrap()), ["a1", "a2"]);
        assert_eq!(who(store.acks(&ns, &b).await.unwrap()), ["b1"]);
        assert_eq!(
            who(store.acks(&ns, &Scope::Admin).await.unwrap()),
            ["a1", "b1", "a2", "root"]
        );
        assert!(store.acks(&[], &Scope::Admin).await.unwrap().is_empty());
        store.close().await;
    }
}
