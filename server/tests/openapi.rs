//! The OpenAPI document is a contract: every operation is called in the
//! ways that make it fail (no credentials, a body that is not JSON, an
//! empty body, a bad query, a role too low, an employee who must first
//! change a temporary password, an unknown id) and every status it answers
//! must be among the ones the document lists for it; request schemas carry
//! the formats, lengths and ranges the server enforces.

mod common;
use common::TestApp;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const OWNER_PASSWORD: &str = "north light over the river";

/// An employee of `role`; with `own` the temporary password is replaced.
async fn employee(app: &TestApp, owner: &str, username: &str, role: &str, own: bool) -> String {
    let res = app
        .client
        .post(app.url("/api/v1/employees"))
        .bearer_auth(owner)
        .json(&json!({"username": username, "email": format!("{username}@studio.ru"), "full_name": username, "role": role}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let temporary = body["temporary_password"].as_str().unwrap().to_owned();
    let token = app.access_token(username, &temporary).await;
    if !own {
        return token;
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": temporary, "new_password": "a passphrase of their very own"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    token
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "no-such-id")
        .replace("{token}", "no-such-token")
        .replace("{phone}", "+79990000000")
}

both_backends! {
    async fn every_status_an_operation_returns_is_documented(app) {
        app.create_owner("owner", OWNER_PASSWORD).await;
        let owner = app.access_token("owner", OWNER_PASSWORD).await;
        let manager = employee(&app, &owner, "maria", "manager", true).await;
        let temporary = employee(&app, &owner, "tina", "manager", false).await;
        let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
        let mut undocumented = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let documented: BTreeSet<String> = op["responses"].as_object().unwrap().keys().cloned().collect();
                let has_body = op.get("requestBody").is_some();
                let has_query = op["parameters"].as_array().is_some_and(|p| p.iter().any(|p| p["in"] == "query"));
                let url = concrete(path);
                let mut probes: Vec<(Option<&str>, Option<&str>, String)> = vec![
                    (None, has_body.then_some("{}"), url.clone()),
                    (Some(owner.as_str()), has_body.then_some("{}"), url.clone()),
                    (Some(manager.as_str()), has_body.then_some("{}"), url.clone()),
                    (Some(temporary.as_str()), has_body.then_some("{}"), url.clone()),
                ];
                if has_body {
                    probes.push((Some(owner.as_str()), Some("{not json"), url.clone()));
                }
                if has_query {
                    let bad = "page=x&per_page=x&date=x&from=x&to=x&space=x&state=x&sort=x&recent=x";
                    probes.push((Some(owner.as_str()), None, format!("{url}?{bad}")));
                }
                for (token, body, url) in probes {
                    let mut req = app.client.request(method.to_uppercase().parse().unwrap(), app.url(&url));
                    if let Some(t) = token {
                        req = req.bearer_auth(t);
                    }
                    if let Some(b) = body {
                        req = req.header("content-type", "application/json").body(b.to_owned());
                    }
                    let status = req.send().await.unwrap().status().as_u16().to_string();
                    if !documented.contains(&status) {
                        undocumented.push(format!("{} {path} answered {status} (documented: {documented:?})", method.to_uppercase()));
                    }
                }
            }
        }
        undocumented.dedup();
        assert!(undocumented.is_empty(), "statuses missing from the document:\n{}", undocumented.join("\n"));
    }

    async fn request_schemas_carry_the_rules_the_server_enforces(app) {
        let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
        let schema = |name: &str| doc["components"]["schemas"][name].clone();
        let guest = schema("GuestBookingRequest");
        assert_eq!(guest["properties"]["start_time"]["format"], "date-time");
        assert_eq!(guest["properties"]["end_time"]["format"], "date-time");
        assert_eq!(guest["properties"]["people_count"]["minimum"], 1);
        assert_eq!(guest["properties"]["client_name"]["maxLength"], 200);
        assert_eq!(guest["properties"]["client_phone"]["maxLength"], 40);
        assert_eq!(guest["properties"]["special_requirements"]["maxLength"], 2000);
        assert_eq!(guest["properties"]["equipment"]["maxItems"], 20);
        let required: BTreeSet<&str> = guest["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for field in ["space", "start_time", "end_time", "people_count", "client_name", "client_phone"] {
            assert!(required.contains(field), "{field} is required");
        }
        let equipment = schema("EquipmentRequest");
        assert_eq!(equipment["properties"]["quantity"]["minimum"], 1);
        assert_eq!(equipment["properties"]["quantity"]["maximum"], 1000);
        let transition = schema("TransitionRequest");
        assert_eq!(transition["properties"]["reason"]["maxLength"], 500);
        let block = schema("BlockRequest");
        assert_eq!(block["properties"]["start_time"]["format"], "date-time");
        let params: Vec<Value> = doc["paths"]["/api/v1/public/availability"]["get"]["parameters"].as_array().unwrap().clone();
        let date = params.iter().find(|p| p["name"] == "date").unwrap();
        assert_eq!(date["schema"]["format"], "date");
        let list: Vec<Value> = doc["paths"]["/api/v1/bookings"]["get"]["parameters"].as_array().unwrap().clone();
        let page = list.iter().find(|p| p["name"] == "page").unwrap();
        assert_eq!((page["schema"]["minimum"].as_i64(), page["schema"]["maximum"].as_i64()), (Some(1), Some(100_000)));
    }
}
