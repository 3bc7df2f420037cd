//! ChannelStore: channel round trips and updates, the listings and search, counts, and
//! memberships (upsert, removal, per-team removal, listing, counting active members).

use crate::common::*;
use rustmost_model::channel::{Channel, ChannelMember, ChannelWithTeamData};

#[tokio::test]
async fn channel_round_trip_keeps_every_field() {
    on_each_backend(async |s| {
        let c = add_channel(s, "team", "town-square", "Town Square", "O").await;
        assert_eq!(s.get_channel(&c.id).await.unwrap(), c);
        assert_eq!(
            s.get_channel_by_name("team", "town-square").await.unwrap(),
            c
        );

        // Nulls stay null, an empty props object stays an empty object.
        let mut bare = channel("", "dm", "", "D");
        bare.props = None;
        bare.group_constrained = None;
        bare.shared = Some(false);
        bare.scheme_id = Some(String::new());
        s.insert_channel(&bare).await.unwrap();
        assert_eq!(s.get_channel(&bare.id).await.unwrap(), bare);
        let mut empty = channel("team", "empty", "Empty", "P");
        empty.props = Some(Default::default());
        s.insert_channel(&empty).await.unwrap();
        assert_eq!(s.get_channel(&empty.id).await.unwrap(), empty);

        assert_not_found(s.get_channel("nope").await);
        assert_not_found(s.get_channel_by_name("team", "nope").await);
        assert_not_found(s.get_channel_by_name("other-team", "town-square").await);
    })
    .await;
}

#[tokio::test]
async fn channel_unique_violations_are_named() {
    on_each_backend(async |s| {
        let c = add_channel(s, "team", "chan", "Chan", "O").await;
        let mut same_id = channel("team", "other", "Other", "O");
        same_id.id = c.id.clone();
        assert_conflict(s.insert_channel(&same_id).await, "channels_id");
        assert_conflict(
            s.insert_channel(&channel("team", "chan", "Again", "P"))
                .await,
            "channels_name+channels_team_id",
        );
        // The same name in another team is fine.
        s.insert_channel(&channel("team2", "chan", "Chan", "O"))
            .await
            .unwrap();
        let d = add_channel(s, "team", "d", "D", "O").await;
        assert_conflict(
            s.update_channel(&Channel {
                name: "chan".into(),
                ..d.clone()
            })
            .await,
            "channels_name+channels_team_id",
        );
        assert_eq!(s.get_channel(&d.id).await.unwrap(), d);
    })
    .await;
}

#[tokio::test]
async fn update_channel_writes_its_columns_only() {
    on_each_backend(async |s| {
        let c = add_channel(s, "team", "chan", "Chan", "O").await;
        let other = add_channel(s, "team", "other", "Other", "O").await;
        let changed = Channel {
            update_at: T0 + 10,
            delete_at: T0 + 11,
            channel_type: "P".into(),
            display_name: "Renamed".into(),
            name: "renamed".into(),
            header: String::new(),
            purpose: "p".into(),
            extra_update_at: T0 + 12,
            scheme_id: Some("scheme".into()),
            props: None,
            group_constrained: None,
            shared: Some(true),
            ..c.clone()
        };
        s.update_channel(&changed).await.unwrap();
        assert_eq!(s.get_channel(&c.id).await.unwrap(), changed);
        // Counters, team, creator and creation time belong to other writers.
        let counters = Channel {
            create_at: 1,
            team_id: "elsewhere".into(),
            creator_id: "someone".into(),
            last_post_at: 1,
            total_msg_count: 99,
            total_msg_count_root: 99,
            last_root_post_at: 1,
            ..changed.clone()
        };
        s.update_channel(&counters).await.unwrap();
        assert_eq!(s.get_channel(&c.id).await.unwrap(), changed);
        assert_eq!(s.get_channel(&other.id).await.unwrap(), other);
        assert_not_found(
            s.update_channel(&Channel {
                id: "nope".into(),
                ..c
            })
            .await,
        );
    })
    .await;
}

#[tokio::test]
async fn list_all_channels_with_team_data() {
    on_each_backend(async |s| {
        let ta = add_team(s, "ta", "Team A", true).await;
        let tb = add_team(s, "tb", "Team B", true).await;
        let a_gen = channel(&ta.id, "general", "General", "O");
        let b_gen = channel(&tb.id, "general", "General", "P");
        let a_alpha = channel(&ta.id, "alpha", "Alpha", "O");
        let mut b_gone = channel(&tb.id, "gone", "Archived", "O");
        b_gone.delete_at = T0;
        let dm = channel("", "dm", "", "D");
        let group_in_team = channel(&ta.id, "group", "Aaa group", "G");
        for c in [&a_gen, &b_gen, &a_alpha, &b_gone, &dm, &group_in_team] {
            s.insert_channel(c).await.unwrap();
        }
        let with = |c: &Channel, t: &rustmost_model::team::Team| ChannelWithTeamData {
            channel: c.clone(),
            team_display_name: t.display_name.clone(),
            team_name: t.name.clone(),
            team_update_at: t.update_at,
        };
        // By display name, then team display name; only public and private channels.
        assert_eq!(
            s.list_all_channels(false, page(0, 10)).await.unwrap(),
            vec![with(&a_alpha, &ta), with(&a_gen, &ta), with(&b_gen, &tb)]
        );
        assert_eq!(
            s.list_all_channels(true, page(0, 10)).await.unwrap(),
            vec![
                with(&a_alpha, &ta),
                with(&b_gone, &tb),
                with(&a_gen, &ta),
                with(&b_gen, &tb)
            ]
        );
        assert_eq!(
            s.list_all_channels(true, page(1, 3)).await.unwrap(),
            vec![with(&b_gen, &tb)]
        );
    })
    .await;
}

#[tokio::test]
async fn public_channels_listing_search_and_count() {
    on_each_backend(async |s| {
        let mut gone = channel("t", "gone-dev", "Gone Dev", "O");
        gone.delete_at = T0;
        let dev = channel("t", "dev", "Developers", "O");
        let ops = channel("t", "ops", "Web Developers", "O");
        let secret = channel("t", "dev-secret", "Dev Secret", "P");
        let misc = channel("t", "misc_stuff", "Misc", "O");
        let elsewhere = channel("t2", "dev", "Developers", "O");
        for c in [&gone, &dev, &ops, &secret, &misc, &elsewhere] {
            s.insert_channel(c).await.unwrap();
        }
        assert_eq!(
            s.list_public_channels("t", page(0, 10)).await.unwrap(),
            vec![dev.clone(), misc.clone(), ops.clone()]
        );
        assert_eq!(
            s.list_public_channels("t", page(1, 2)).await.unwrap(),
            vec![ops.clone()]
        );
        assert_empty(s.list_public_channels("none", page(0, 10)).await);

        // A case-insensitive prefix of the name or display name, or of a later word of the
        // display name; LIKE's wildcards are literal.
        let search =
            |t: &'static str| async move { s.search_public_channels("t", t).await.unwrap() };
        assert_eq!(search("DEV").await, vec![dev.clone(), ops.clone()]);
        assert_eq!(search("web").await, vec![ops.clone()]);
        assert_eq!(search("op").await, vec![ops.clone()]);
        assert_eq!(search("misc_").await, vec![misc.clone()]);
        assert!(search("mis_").await.is_empty());
        assert!(search("%").await.is_empty());
        assert!(search("velopers").await.is_empty());
        assert!(search("secret").await.is_empty());

        // Live public and private channels of the team.
        assert_eq!(s.count_team_channels("t").await.unwrap(), 4);
        assert_eq!(s.count_team_channels("none").await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn channels_for_user_by_team_and_deletion() {
    on_each_backend(async |s| {
        let b = channel("t", "b", "Bravo", "O");
        let a = channel("t", "a", "Alpha", "P");
        let dm = channel("", "dm", "", "D");
        let mut gone = channel("t", "gone", "Gone", "O");
        gone.delete_at = T0;
        let other_team = channel("t2", "x", "Xray", "O");
        let not_member = channel("t", "c", "Charlie", "O");
        for c in [&b, &a, &dm, &gone, &other_team, &not_member] {
            s.insert_channel(c).await.unwrap();
        }
        for c in [&b, &a, &dm, &gone, &other_team] {
            s.save_channel_member(&channel_member(&c.id, "u"))
                .await
                .unwrap();
        }
        s.save_channel_member(&channel_member(&not_member.id, "v"))
            .await
            .unwrap();

        let list = |team: Option<&'static str>, deleted: bool, p| async move {
            s.list_channels_for_user("u", team, deleted, p)
                .await
                .unwrap()
        };
        // Direct and group channels (no team) belong to every team's listing.
        assert_eq!(
            list(Some("t"), false, None).await,
            vec![dm.clone(), a.clone(), b.clone()]
        );
        assert_eq!(
            list(Some("t"), true, None).await,
            vec![dm.clone(), a.clone(), b.clone(), gone.clone()]
        );
        assert_eq!(
            list(None, false, None).await,
            vec![dm.clone(), a.clone(), b.clone(), other_team.clone()]
        );
        assert_eq!(
            list(None, true, Some(page(1, 2))).await,
            vec![b.clone(), gone.clone()]
        );
        assert_empty(s.list_channels_for_user("w", None, true, None).await);
    })
    .await;
}

#[tokio::test]
async fn channel_member_upsert_get_and_delete() {
    on_each_backend(async |s| {
        let c = add_channel(s, "t", "c", "C", "O").await;
        let mut m = channel_member(&c.id, "u");
        m.explicit_roles = "custom".into();
        m.scheme_admin = true;
        m.compute_roles();
        s.save_channel_member(&m).await.unwrap();
        let got = s.get_channel_member(&c.id, "u").await.unwrap();
        assert_eq!(got, m);
        assert_eq!(got.roles, "custom channel_user channel_admin");

        // Saving again replaces every column.
        let mut again = ChannelMember {
            explicit_roles: String::new(),
            last_viewed_at: T0 + 50,
            msg_count: 0,
            mention_count: 0,
            mention_count_root: 0,
            urgent_mention_count: 3,
            msg_count_root: 0,
            notify_props: Default::default(),
            last_update_at: i64::MAX,
            scheme_guest: true,
            scheme_user: false,
            scheme_admin: false,
            ..m.clone()
        };
        again.compute_roles();
        s.save_channel_member(&again).await.unwrap();
        assert_eq!(s.get_channel_member(&c.id, "u").await.unwrap(), again);

        assert_not_found(s.get_channel_member(&c.id, "v").await);
        s.delete_channel_member(&c.id, "u").await.unwrap();
        assert_not_found(s.get_channel_member(&c.id, "u").await);
        s.delete_channel_member(&c.id, "u").await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn delete_team_channel_members_leaves_other_teams_and_users() {
    on_each_backend(async |s| {
        let c1 = channel("t", "c1", "C1", "O");
        let c2 = channel("t", "c2", "C2", "P");
        let other = channel("t2", "c3", "C3", "O");
        let dm = channel("", "dm", "", "D");
        for c in [&c1, &c2, &other, &dm] {
            s.insert_channel(c).await.unwrap();
            s.save_channel_member(&channel_member(&c.id, "u"))
                .await
                .unwrap();
            s.save_channel_member(&channel_member(&c.id, "v"))
                .await
                .unwrap();
        }
        s.delete_team_channel_members("t", "u").await.unwrap();
        assert_not_found(s.get_channel_member(&c1.id, "u").await);
        assert_not_found(s.get_channel_member(&c2.id, "u").await);
        s.get_channel_member(&other.id, "u").await.unwrap();
        s.get_channel_member(&dm.id, "u").await.unwrap();
        s.get_channel_member(&c1.id, "v").await.unwrap();
        s.get_channel_member(&c2.id, "v").await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn channel_members_listing_and_active_count() {
    on_each_backend(async |s| {
        let c = add_channel(s, "t", "c", "C", "O").await;
        let other = add_channel(s, "t", "o", "O", "O").await;
        let alice = add_user(s, "alice").await;
        let bob = add_user(s, "bob").await;
        let mut gone = user("gone");
        gone.delete_at = T0;
        s.insert_user(&gone).await.unwrap();
        let mut members: Vec<ChannelMember> = Vec::new();
        for u in [&alice, &bob, &gone] {
            let m = channel_member(&c.id, &u.id);
            s.save_channel_member(&m).await.unwrap();
            members.push(m);
        }
        // A member without a user row is listed but not counted.
        let orphan = channel_member(&c.id, "no-such-user");
        s.save_channel_member(&orphan).await.unwrap();
        members.push(orphan);
        s.save_channel_member(&channel_member(&other.id, &alice.id))
            .await
            .unwrap();
        members.sort_by(|a, b| a.user_id.cmp(&b.user_id));

        assert_eq!(
            s.list_channel_members(&c.id, page(0, 10)).await.unwrap(),
            members
        );
        assert_eq!(
            s.list_channel_members(&c.id, page(1, 3)).await.unwrap(),
            members[3..].to_vec()
        );
        assert_empty(s.list_channel_members("nope", page(0, 10)).await);
        assert_eq!(s.count_channel_members(&c.id).await.unwrap(), 2);
        assert_eq!(s.count_channel_members(&other.id).await.unwrap(), 1);
        assert_eq!(s.count_channel_members("nope").await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_channel_with_members_is_inserted_whole_or_not_at_all() {
    on_each_backend(async |s| {
        let mut dm = channel("", "a__b", "", "D");
        dm.group_constrained = None;
        let members = [channel_member(&dm.id, "a"), channel_member(&dm.id, "b")];
        s.insert_channel_with_members(&dm, &members).await.unwrap();
        assert_eq!(s.get_channel(&dm.id).await.unwrap(), dm);
        assert_eq!(s.get_channel_by_name("", "a__b").await.unwrap().id, dm.id);
        for m in &members {
            assert_eq!(&s.get_channel_member(&dm.id, &m.user_id).await.unwrap(), m);
        }
        // The same name again: a conflict, and none of the second channel's rows.
        let again = channel("", "a__b", "", "D");
        assert_conflict(
            s.insert_channel_with_members(&again, &[channel_member(&again.id, "c")])
                .await,
            "channels_name+channels_team_id",
        );
        assert_not_found(s.get_channel(&again.id).await);
        assert_not_found(s.get_channel_member(&again.id, "c").await);
        // A failing member insert (a repeated user) rolls the channel back too.
        let gm = channel("", "g", "G", "G");
        assert!(
            s.insert_channel_with_members(
                &gm,
                &[channel_member(&gm.id, "x"), channel_member(&gm.id, "x")]
            )
            .await
            .is_err()
        );
        assert_not_found(s.get_channel(&gm.id).await);
    })
    .await;
}

#[tokio::test]
async fn viewing_channels_catches_up_only_unread_memberships_of_the_user() {
    on_each_backend(async |s| {
        // `channel()` has last_post_at T0+2, 3 messages (2 root); `channel_member()` has read
        // up to T0 with 5 counted and a mention.
        let unread = channel("t", "unread", "U", "O");
        let read = channel("t", "read", "R", "O");
        let other = channel("t", "other", "O", "O");
        for c in [&unread, &read, &other] {
            s.insert_channel(c).await.unwrap();
        }
        let mut m = channel_member(&unread.id, "u");
        m.msg_count = 1;
        m.mention_count = 0;
        s.save_channel_member(&m).await.unwrap();
        let mut done = channel_member(&read.id, "u");
        done.last_viewed_at = read.last_post_at;
        done.msg_count = read.total_msg_count;
        done.mention_count = 0;
        s.save_channel_member(&done).await.unwrap();
        let bystander = channel_member(&unread.id, "v");
        s.save_channel_member(&bystander).await.unwrap();

        let ids = vec![unread.id.clone(), read.id.clone(), other.id.clone()];
        let got = s.view_channels("u", &ids, T0 + 100).await.unwrap();
        assert_eq!(got, vec![(unread.id.clone(), unread.last_post_at)]);
        let after = s.get_channel_member(&unread.id, "u").await.unwrap();
        assert_eq!(after.last_viewed_at, unread.last_post_at);
        assert_eq!(after.msg_count, unread.total_msg_count);
        assert_eq!(after.msg_count_root, unread.total_msg_count_root);
        assert_eq!(
            (
                after.mention_count,
                after.mention_count_root,
                after.urgent_mention_count
            ),
            (0, 0, 0)
        );
        assert_eq!(after.last_update_at, T0 + 100);
        assert_eq!(after.notify_props, m.notify_props);
        assert_eq!(s.get_channel_member(&read.id, "u").await.unwrap(), done);
        assert_eq!(
            s.get_channel_member(&unread.id, "v").await.unwrap(),
            bystander
        );
        // Nothing left unread; a mention alone counts as unread.
        assert_empty(s.view_channels("u", &ids, T0 + 200).await);
        assert_empty(s.view_channels("u", &[], T0 + 200).await);
        let got = s
            .view_channels("v", std::slice::from_ref(&unread.id), T0 + 300)
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
    })
    .await;
}
