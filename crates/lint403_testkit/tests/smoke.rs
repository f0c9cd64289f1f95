//! The kit against the real servers: each starts, answers, and the peer
//! cases load with one recorded status per request.

use lint403_testkit::layout::{lay_out, Entry};
use lint403_testkit::server::{apache_main_conf, nginx_main_conf, start, ApacheConf};
use lint403_testkit::{peer, send, server_available, temp_prefix, ServerKind, TestRequest};

#[test]
fn nginx_starts_and_sees_client_addresses() {
    if !server_available(ServerKind::Nginx) {
        return;
    }
    let prefix = temp_prefix("kit-nginx");
    lay_out(&prefix.join("www"), &[Entry::file("index.html", "hi\n")]).expect("layout");
    let root = prefix.join("www");
    let server = start(ServerKind::Nginx, &prefix, 1, &|port| {
        nginx_main_conf(
            &prefix,
            &format!(
                "server {{ listen 127.0.0.1:{port}; root {}; location / {{ deny 127.0.0.2; }} }}",
                root.display()
            ),
        )
    })
    .expect("nginx starts");
    let mut request = TestRequest::get("/index.html");
    assert_eq!(send(server.address(), &request).expect("sent").status, 200);
    request.client_ip = [127, 0, 0, 2].into();
    assert_eq!(send(server.address(), &request).expect("sent").status, 403);
    assert_eq!(
        send(server.address(), &TestRequest::get("/missing"))
            .expect("sent")
            .status,
        404
    );
}

#[test]
fn apache_starts_with_the_debian_base() {
    if !server_available(ServerKind::Apache) {
        return;
    }
    let prefix = temp_prefix("kit-apache");
    lay_out(&prefix.join("www"), &[Entry::file("index.html", "hi\n")]).expect("layout");
    let www = prefix.join("www");
    let server = start(ServerKind::Apache, &prefix, 2, &|port| {
        let vhost = format!(
            "<Directory {}>\nRequire ip 127.0.0.1\n</Directory>",
            www.display()
        );
        apache_main_conf(
            &prefix,
            port,
            &ApacheConf {
                vhost: Some(&vhost),
                ..ApacheConf::default()
            },
        )
    })
    .expect("apache2 starts");
    let mut request = TestRequest::get("/index.html");
    assert_eq!(send(server.address(), &request).expect("sent").status, 200);
    request.client_ip = [127, 0, 0, 3].into();
    assert_eq!(send(server.address(), &request).expect("sent").status, 403);
}

#[test]
fn peer_cases_load() {
    let Some(dir) = peer::peer_tests_dir() else {
        return;
    };
    for server in ["nginx", "apache"] {
        let cases = peer::load_cases(&dir, server).expect("cases load");
        assert!(!cases.is_empty(), "no {server} cases");
        for case in &cases {
            assert_eq!(case.requests.len(), case.statuses.len(), "{}", case.name);
        }
    }
}
