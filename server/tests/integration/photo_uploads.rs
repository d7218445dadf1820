//! Visit photos end to end: tus 1.0 uploads that resume after a cut without making a
//! second file, the photo checked by content, turned upright and stripped of EXIF,
//! stored with a thumbnail in the object store (a local folder, and S3 through moto's
//! server), and served only to the tenant's staff and the farm's owners.

use crate::support;
use base64::Engine;
use serde_json::json;
use sqlx::PgPool;
use support::{TestApp, access_token, send};
use uuid::Uuid;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A visit the demo field agent records on the demo owner's first farm.
async fn visit(app: &TestApp, agent: &str) -> Uuid {
    let owner = access_token(app, "customer@darjberry.demo").await;
    let (_, farms) = send(app, "GET", "/api/v1/me/farms", None, &owner).await;
    let slug = farms["data"][0]["slug"].as_str().unwrap().to_string();
    let id = Uuid::now_v7();
    let body =
        json!({ "id": id, "farm": slug, "visitedAt": chrono::Utc::now().to_rfc3339(), "notes": "Leaf rust on row 4" });
    let (status, answer) = send(app, "POST", "/api/v1/field/visits", Some(body), agent).await;
    assert_eq!(status, 201, "{answer}");
    id
}

struct Upload<'a> {
    app: &'a TestApp,
    token: &'a str,
    location: String,
}

async fn create(app: &TestApp, token: &str, id: Uuid, visit: Uuid, length: usize) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header(
            "Upload-Metadata",
            format!("id {},visit {},filename {}", b64(&id.to_string()), b64(&visit.to_string()), b64("IMG_0042.jpg")),
        )
        .send()
        .await
        .unwrap()
}

impl<'a> Upload<'a> {
    async fn start(app: &'a TestApp, token: &'a str, id: Uuid, visit: Uuid, length: usize) -> Upload<'a> {
        let r = create(app, token, id, visit, length).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        assert_eq!(r.headers()["tus-resumable"], "1.0.0");
        let location = r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(location, format!("/api/v1/uploads/{id}"));
        Upload { app, token, location }
    }

    async fn offset(&self) -> i64 {
        let r = self
            .app
            .client
            .head(self.app.url(&self.location))
            .bearer_auth(self.token)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.headers()["upload-offset"].to_str().unwrap().parse().unwrap()
    }

    async fn patch(&self, offset: usize, bytes: Vec<u8>) -> (u16, serde_json::Value, Option<i64>) {
        let r = self
            .app
            .client
            .patch(self.app.url(&self.location))
            .bearer_auth(self.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let at = r.headers().get("upload-offset").map(|v| v.to_str().unwrap().parse().unwrap());
        let text = r.text().await.unwrap();
        (status, if text.is_empty() { json!(null) } else { serde_json::from_str(&text).unwrap() }, at)
    }

    /// A PATCH whose connection breaks after `first` bytes of a body announced as `whole`.
    async fn patch_cut(&self, offset: usize, first: Vec<u8>, whole: usize) {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            vec![Ok(first), Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "signal lost"))];
        let result = self
            .app
            .client
            .patch(self.app.url(&self.location))
            .bearer_auth(self.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .header("Content-Length", whole.to_string())
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
            .send()
            .await;
        assert!(result.is_err() || result.unwrap().status() != 204, "a cut body is not a finished one");
    }
}

async fn stored(pool: &PgPool, id: Uuid) -> i64 {
    let mut tx = support::operator(pool).await;
    sqlx::query_scalar("SELECT count(*) FROM stored_files WHERE id = $1").bind(id).fetch_one(&mut *tx).await.unwrap()
}

async fn fetch(app: &TestApp, path: &str, token: &str) -> (u16, Vec<u8>, String) {
    let r = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    let content_type = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, r.bytes().await.unwrap().to_vec(), content_type)
}

/// Sends a photo in two halves with a cut in the middle; the second half resumes.
async fn upload_with_a_cut(app: &TestApp, agent: &str, visit: Uuid, photo: &[u8]) -> Uuid {
    let id = Uuid::now_v7();
    let up = Upload::start(app, agent, id, visit, photo.len()).await;
    let half = photo.len() / 2;
    up.patch_cut(0, photo[..half].to_vec(), photo.len()).await;
    // What arrived before the cut is kept (all of it or some); never more.
    let mut at = 0;
    for _ in 0..50 {
        at = up.offset().await;
        if at > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(at as usize <= half, "{at}");
    // The phone never heard the answer to its POST and asks again: the same upload.
    let again = create(app, agent, id, visit, photo.len()).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["upload-offset"].to_str().unwrap(), at.to_string());
    let (status, body, offset) = up.patch(at as usize, photo[at as usize..].to_vec()).await;
    assert_eq!((status, offset), (204, Some(photo.len() as i64)), "{body}");
    id
}

#[sqlx::test(migrations = false)]
async fn a_photo_cut_halfway_resumes_and_is_stored_once_upright_and_without_exif(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let visit = visit(&app, &agent).await;
    // Over the 1 MiB body limit of everything else, sideways, with GPS in its EXIF.
    let photo = server::files::test_images::phone_jpeg_with(1200, 800, 6, 255);
    assert!(photo.len() > 1 << 20, "{}", photo.len());
    let id = upload_with_a_cut(&app, &agent, visit, &photo).await;
    assert_eq!(stored(&pool, id).await, 1);
    // A resend of the last chunk after it was stored is answered, not stored again.
    let up = Upload { app: &app, token: &agent, location: format!("/api/v1/uploads/{id}") };
    assert_eq!(up.patch(photo.len(), Vec::new()).await.0, 204);
    assert_eq!(up.patch(0, photo.clone()).await.0, 409);
    assert_eq!(stored(&pool, id).await, 1);

    let (status, bytes, content_type) = fetch(&app, &format!("/api/v1/files/{id}"), &agent).await;
    assert_eq!((status, content_type.as_str()), (200, "image/jpeg"));
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "EXIF (and its GPS) removed");
    let picture = image::load_from_memory(&bytes).unwrap();
    assert_eq!((picture.width(), picture.height()), (800, 1200), "turned upright");
    let (status, thumb, _) = fetch(&app, &format!("/api/v1/files/{id}/thumbnail"), &agent).await;
    assert_eq!(status, 200);
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 480));

    let mut tx = support::operator(&pool).await;
    let (sha, size, received_sha): (String, i64, String) =
        sqlx::query_as("SELECT sha256, bytes, received_sha256 FROM stored_files WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    drop(tx);
    assert_eq!((sha, size), (server::files::photo::hex_sha256(&bytes), bytes.len() as i64));
    assert_eq!(received_sha, server::files::photo::hex_sha256(&photo));

    // The owner sees it on the farm's visits, and may open it; nobody else may.
    let owner = access_token(&app, "customer@darjberry.demo").await;
    let (_, farms) = send(&app, "GET", "/api/v1/me/farms", None, &owner).await;
    let farm = farms["data"][0]["slug"].as_str().unwrap();
    let (_, detail) = send(&app, "GET", &format!("/api/v1/me/farms/{farm}"), None, &owner).await;
    let photos = &detail["data"]["visits"][0]["photos"];
    assert_eq!(photos[0]["id"], id.to_string(), "{detail}");
    assert_eq!(fetch(&app, &format!("/api/v1/files/{id}/thumbnail"), &owner).await.0, 200);
    let stranger = support::person_with_roles(&pool, "darjberry", &["customer"]).await;
    let stranger = support::signing_keys()
        .issue(stranger, Uuid::now_v7(), "darjberry", vec!["customer".into()], support::now_secs())
        .unwrap()
        .0;
    assert_eq!(fetch(&app, &format!("/api/v1/files/{id}"), &stranger).await.0, 404);
    let other_tenant = access_token(&app, "ops@greenharvest.demo").await;
    assert_eq!(fetch(&app, &format!("/api/v1/files/{id}"), &other_tenant).await.0, 404);
    assert_eq!(app.get(&format!("/files/{id}")).await.status(), 401, "anonymous");
}

#[sqlx::test(migrations = false)]
async fn what_is_not_a_photo_is_refused_and_the_protocol_is_kept(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let visit = visit(&app, &agent).await;

    // An SVG with a script: refused by its content as soon as its first bytes arrive.
    let svg =
        br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let id = Uuid::now_v7();
    let up = Upload::start(&app, &agent, id, visit, svg.len()).await;
    let (status, body, _) = up.patch(0, svg).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["fields"]["file"], "is not a JPEG, PNG or WebP image");
    assert_eq!(stored(&pool, id).await, 0);
    let head = app.client.head(app.url(&up.location)).bearer_auth(&agent).header("Tus-Resumable", "1.0.0").send();
    assert_eq!(head.await.unwrap().status(), 404, "the upload ended");

    // A decompression bomb: refused from its header, never decoded.
    let bomb = server::files::test_images::png_header(50_000, 50_000);
    let up = Upload::start(&app, &agent, Uuid::now_v7(), visit, bomb.len()).await;
    let (status, body, _) = up.patch(0, bomb).await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["file"].as_str().unwrap().starts_with("is 50000 × 50000 pixels"), "{body}");

    // Too large, declared up front.
    let r = create(&app, &agent, Uuid::now_v7(), visit, 30 * 1024 * 1024).await;
    assert_eq!(r.status(), 413);
    // Another protocol version.
    let r = app.client.post(app.url("/api/v1/uploads")).bearer_auth(&agent).header("Tus-Resumable", "0.2.2").send();
    let r = r.await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["tus-version"].to_str().unwrap()), (412, "1.0.0"));
    // Discovery needs nobody signed in.
    let r = app.client.request(reqwest::Method::OPTIONS, app.url("/api/v1/uploads")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["tus-extension"].to_str().unwrap()), (204, "creation,termination"));
    // Metadata missing or malformed.
    for metadata in ["", "visit", "id bm90LWEtdXVpZA==,visit bm90LWEtdXVpZA==", "id !!!"] {
        let r = app
            .client
            .post(app.url("/api/v1/uploads"))
            .bearer_auth(&agent)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", "10")
            .header("Upload-Metadata", metadata)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{metadata:?}");
    }

    // Offsets: the wrong one is told where the upload is; more than declared is refused.
    let photo = server::files::test_images::phone_jpeg(64, 48, 1);
    let id = Uuid::now_v7();
    let up = Upload::start(&app, &agent, id, visit, photo.len()).await;
    let (status, _, at) = up.patch(10, photo[10..].to_vec()).await;
    assert_eq!((status, at), (409, Some(0)));
    let mut longer = photo.clone();
    longer.extend_from_slice(b"trailing");
    assert_eq!(up.patch(0, longer).await.0, 413);
    assert_eq!(up.offset().await, 0);
    // The same id for something else is refused.
    assert_eq!(create(&app, &agent, id, visit, photo.len() + 1).await.status(), 409);

    // Another agent can neither see this upload nor send photos for this agent's visit.
    let other = support::person_with_roles(&pool, "darjberry", &["field_agent"]).await;
    let other = support::signing_keys()
        .issue(other, Uuid::now_v7(), "darjberry", vec!["field_agent".into()], support::now_secs())
        .unwrap()
        .0;
    let intruder = Upload { app: &app, token: &other, location: up.location.clone() };
    assert_eq!(intruder.patch(0, photo.clone()).await.0, 404);
    assert_eq!(create(&app, &other, Uuid::now_v7(), visit, photo.len()).await.status(), 403);
    // A customer may not upload at all; an unknown visit is not found.
    let customer = access_token(&app, "customer@darjberry.demo").await;
    assert_eq!(create(&app, &customer, Uuid::now_v7(), visit, 10).await.status(), 403);
    assert_eq!(create(&app, &agent, Uuid::now_v7(), Uuid::now_v7(), 10).await.status(), 404);

    // Termination of an unfinished upload.
    let r = app.client.delete(app.url(&up.location)).bearer_auth(&agent).header("Tus-Resumable", "1.0.0").send();
    assert_eq!(r.await.unwrap().status(), 204);
    assert_eq!(stored(&pool, id).await, 0);
}

/// The object store fails as the last chunk arrives: 503, the offset goes back to where
/// that chunk began, and sending it again once the store is back stores the photo once.
#[sqlx::test(migrations = false)]
async fn a_store_outage_at_the_last_chunk_loses_nothing(pool: PgPool) {
    let root = std::env::temp_dir().join(format!("mandi-objects-{}", Uuid::now_v7()));
    let objects = root.join("objects");
    let url = format!("file://{}", objects.display());
    let app = TestApp::spawn_with(pool.clone(), &[("MANDI_OBJECT_STORE_URL", &url)]).await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let visit = visit(&app, &agent).await;
    let photo = server::files::test_images::phone_jpeg(320, 240, 3);
    let id = Uuid::now_v7();
    let up = Upload::start(&app, &agent, id, visit, photo.len()).await;
    let half = photo.len() / 2;
    assert_eq!(up.patch(0, photo[..half].to_vec()).await.2, Some(half as i64));

    // The store's folder becomes a file: every write to it fails, as a store that is down.
    std::fs::rename(&objects, root.join("away")).unwrap();
    std::fs::write(&objects, b"not a folder").unwrap();
    let (status, body, _) = up.patch(half, photo[half..].to_vec()).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["retryable"], true);
    assert_eq!(up.offset().await, half as i64, "the last chunk is given back");
    assert_eq!(stored(&pool, id).await, 0);

    std::fs::remove_file(&objects).unwrap();
    std::fs::rename(root.join("away"), &objects).unwrap();
    let (status, _, at) = up.patch(half, photo[half..].to_vec()).await;
    assert_eq!((status, at), (204, Some(photo.len() as i64)));
    assert_eq!(stored(&pool, id).await, 1);
    let (status, bytes, _) = fetch(&app, &format!("/api/v1/files/{id}"), &agent).await;
    assert_eq!(status, 200);
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 320, "orientation 3 keeps the shape");
    std::fs::remove_dir_all(&root).unwrap();
}

/// Where the test command installed moto (`scripts/test.sh`), or one on the PATH.
fn moto_server() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("MANDI_MOTO_SERVER") {
        return path.into();
    }
    let installed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.data/tools/python/bin/moto_server");
    if installed.exists() {
        return installed;
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("moto_server")).find(|p| p.exists()))
        .expect("moto_server not found: run the README's test command, which installs it (or set MANDI_MOTO_SERVER)")
}

struct Moto(std::process::Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The S3 path, against moto's S3-compatible server: the photo and its thumbnail land in
/// the bucket under the configured prefix, and are served back from there.
#[sqlx::test(migrations = false)]
async fn photos_go_to_an_s3_bucket_when_one_is_configured(pool: PgPool) {
    let port = support::free_port();
    let moto = Moto(
        std::process::Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server starts"),
    );
    let endpoint = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if http.get(&endpoint).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "moto's server did not start on {endpoint}");
    assert!(http.put(format!("{endpoint}/mandi-photos")).send().await.unwrap().status().is_success(), "bucket made");

    let vars = [
        ("MANDI_OBJECT_STORE_URL", "s3://mandi-photos/test/field"),
        ("AWS_ENDPOINT", endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
    ];
    let app = TestApp::spawn_with(pool.clone(), &vars).await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let visit = visit(&app, &agent).await;
    let photo = server::files::test_images::phone_jpeg(640, 480, 8);
    let id = upload_with_a_cut(&app, &agent, visit, &photo).await;

    let listing = http.get(format!("{endpoint}/mandi-photos?list-type=2&prefix=test/field/")).send().await.unwrap();
    let listing = listing.text().await.unwrap();
    assert!(listing.contains(&format!("/photos/{id}.jpg</Key>")), "{listing}");
    assert!(listing.contains(&format!("/photos/{id}.thumbnail.jpg</Key>")), "{listing}");
    let (status, bytes, _) = fetch(&app, &format!("/api/v1/files/{id}"), &agent).await;
    assert_eq!(status, 200);
    let picture = image::load_from_memory(&bytes).unwrap();
    assert_eq!((picture.width(), picture.height()), (480, 640), "orientation 8 turned upright");
    drop(moto);
}

/// The field app's own calls, with the browser's session cookie: its day, a visit sent
/// twice (stored once), and a photo through `/uploads`, the site's tus endpoint.
#[sqlx::test(migrations = false)]
async fn the_field_app_reads_its_day_and_sends_visits_and_photos_with_its_session(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let agent = access_token(&app, "field_agent@darjberry.demo").await;
    let cookie = format!("mandi_session={agent}");
    let call = |path: &'static str, body: serde_json::Value, cookie: Option<String>| {
        let mut r = app.client.post(app.url(path)).json(&body);
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        async move {
            let r = r.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap_or(json!(null)))
        }
    };
    let (status, day) = call("/_fn/field/day", json!({}), Some(cookie.clone())).await;
    assert_eq!(status, 200, "{day}");
    let farm = day["farms"].as_array().unwrap().iter().find(|f| !f["crops"].as_array().unwrap().is_empty()).unwrap();
    assert!(day["tasks"].as_array().unwrap().iter().all(|t| t["status"] == "open"), "{day}");
    assert_eq!(call("/_fn/field/day", json!({}), None).await.0, 401);
    let customer = access_token(&app, "customer@darjberry.demo").await;
    assert_eq!(call("/_fn/field/day", json!({}), Some(format!("mandi_session={customer}"))).await.0, 403);

    let id = Uuid::now_v7();
    let crop = farm["crops"][0].as_str().unwrap();
    let visit = json!({ "visit": { "id": id, "farm": farm["slug"], "visitedAt": "2026-12-01T06:00:00+05:30",
        "notes": "Pruned row 2", "plantCounts": [{ "crop": crop, "planted": 40, "alive": 38, "lost": 2 }],
        "readings": [{ "metric": "temperature", "value": "24.5" }, { "metric": "soil_moisture", "value": "38" }] } });
    let (status, sent) = call("/_fn/field/visit", visit.clone(), Some(cookie.clone())).await;
    assert_eq!((status, &sent["created"]), (200, &json!(true)), "{sent}");
    let (status, again) = call("/_fn/field/visit", visit, Some(cookie.clone())).await;
    assert_eq!((status, &again["created"]), (200, &json!(false)));
    let (status, bad) = call(
        "/_fn/field/visit",
        json!({ "visit": { "id": Uuid::now_v7(), "farm": farm["slug"],
        "visitedAt": "yesterday" } }),
        Some(cookie.clone()),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    // The hand readings are the agent's handheld sensor's, at the visit's time.
    let mut tx = support::operator(&pool).await;
    let hand: Vec<(String, String)> = sqlx::query_as(
        "SELECT sensor, metric FROM sensor_readings WHERE sensor LIKE 'handheld:%' AND recorded_at = '2026-12-01T00:30:00Z' ORDER BY metric",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    drop(tx);
    assert_eq!(hand.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>(), ["soil_moisture", "temperature"], "{hand:?}");
    for (readings, field, message) in [
        (json!([{ "metric": "humidity", "value": "400" }]), "readings[0].value", "cannot be real"),
        (
            json!([{ "metric": "temperature", "value": "20" }, { "metric": "temperature", "value": "21" }]),
            "readings[1].metric",
            "is read twice in this visit",
        ),
        (json!([{ "metric": "radiation", "value": "1" }]), "readings[0].metric", ""),
    ] {
        let body = json!({ "visit": { "id": Uuid::now_v7(), "farm": farm["slug"], "visitedAt": "2026-12-02T06:00:00+05:30", "readings": readings } });
        let (status, refused) = call("/_fn/field/visit", body, Some(cookie.clone())).await;
        assert_eq!(status, 400, "{refused}");
        let said = refused.to_string();
        assert!(said.contains(field) && said.contains(message), "{field}: {said}");
    }

    let photo = server::files::test_images::phone_jpeg(50, 40, 1);
    let meta = format!("id {},visit {}", b64(&Uuid::now_v7().to_string()), b64(&id.to_string()));
    let r = app
        .client
        .post(app.url("/uploads"))
        .header("cookie", &cookie)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", photo.len().to_string())
        .header("Upload-Metadata", meta)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/uploads/"), "{location}");
    let r = app
        .client
        .patch(app.url(&location))
        .header("cookie", &cookie)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let file = location.trim_start_matches("/uploads/");
    let r =
        app.client.get(app.url(&format!("/files/{file}/thumbnail"))).header("cookie", &cookie).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["cache-control"].to_str().unwrap()), (200, "private, max-age=86400"));
}
