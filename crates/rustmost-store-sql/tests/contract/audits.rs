//! AuditStore: round trips, newest-first listing (ties in insertion order) and paging.

use crate::common::*;
use rustmost_model::audit::Audit;

fn audit(user_id: &str, action: &str, create_at: i64) -> Audit {
    Audit {
        id: rustmost_model::new_id(),
        create_at,
        user_id: user_id.to_string(),
        action: action.to_string(),
        extra_info: "success session_user=x".into(),
        ip_address: "::1".into(),
        session_id: String::new(),
    }
}

#[tokio::test]
async fn audits_list_newest_first_per_user() {
    on_each_backend(async |s| {
        let a = audit("u", "/api/v4/users/login", T0);
        let b = audit("u", "/api/v4/users/logout", T0 + 5);
        // Same time as `b`, inserted later: ties list the later insert first.
        let c = audit("u", "/api/v4/users/me/patch", T0 + 5);
        let other = audit("v", "/x", T0 + 9);
        for x in [&a, &b, &c, &other] {
            s.insert_audit(x).await.unwrap();
        }
        assert_eq!(
            s.list_audits_for_user("u", page(0, 10)).await.unwrap(),
            vec![c.clone(), b.clone(), a.clone()]
        );
        assert_eq!(
            s.list_audits_for_user("u", page(0, 2)).await.unwrap(),
            vec![c, b]
        );
        assert_eq!(
            s.list_audits_for_user("u", page(1, 2)).await.unwrap(),
            vec![a]
        );
        assert_empty(s.list_audits_for_user("u", page(2, 2)).await);
        assert_eq!(
            s.list_audits_for_user("v", page(0, 10)).await.unwrap(),
            vec![other]
        );
        assert_empty(s.list_audits_for_user("nobody", page(0, 10)).await);
    })
    .await;
}

#[tokio::test]
async fn audit_unique_violation_is_named() {
    on_each_backend(async |s| {
        let a = audit("u", "/x", T0);
        s.insert_audit(&a).await.unwrap();
        assert_conflict(s.insert_audit(&a).await, "audits_id");
    })
    .await;
}
