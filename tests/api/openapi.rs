//! The router and openapi.yaml describe the same set of (method, path).

use std::collections::BTreeSet;

use crate::helpers::spawn_app;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn spec_routes() -> BTreeSet<(String, String)> {
    let spec: serde_yaml::Value = serde_yaml::from_str(radscore::api::OPENAPI_YAML).expect("openapi.yaml is YAML");
    assert_eq!(spec["openapi"].as_str(), Some("3.1.0"));
    let paths = spec["paths"].as_mapping().expect("paths is a mapping");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let path = path.as_str().unwrap().to_owned();
            METHODS
                .iter()
                .filter(move |m| item.get(**m).is_some())
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

fn router_routes() -> BTreeSet<(String, String)> {
    radscore::api::routes()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path.to_owned()))
        .collect()
}

#[test]
fn router_and_openapi_spec_list_the_same_routes() {
    let spec = spec_routes();
    let router = router_routes();

    let only_spec: Vec<_> = spec.difference(&router).collect();
    let only_router: Vec<_> = router.difference(&spec).collect();
    assert!(
        only_spec.is_empty() && only_router.is_empty(),
        "in openapi.yaml only: {only_spec:?}; in the router only: {only_router:?}"
    );
}

/// Guards the route table itself: every (method, path) it lists is really served by that method,
/// and every other method on the path is refused, so the table cannot drift from the handlers.
#[tokio::test]
async fn the_served_routes_are_exactly_the_listed_methods() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path()).await;
    let listed = router_routes();
    let paths: BTreeSet<&String> = listed.iter().map(|(_, p)| p).collect();

    for path in paths {
        let concrete = path
            .replace("{id}", "00000000-0000-0000-0000-000000000000")
            .replace("{name}", "x");
        for method in METHODS {
            let method = method.to_uppercase();
            let response = app
                .client
                .request(method.parse().unwrap(), format!("{}{concrete}", app.address))
                .send()
                .await
                .unwrap();
            let served = response.status() != 405;
            let expected = listed.contains(&(method.clone(), path.clone()));
            assert_eq!(served, expected, "{method} {path}: status {}", response.status());
        }
    }
}
