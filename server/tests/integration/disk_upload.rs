//! Uploading images into a storage domain on a real libvirtd (`qemu:///system`: the test driver has
//! no `virStorageVolUpload`). `scripts/test.sh` starts the daemon with its QEMU driver before
//! `cargo test`; without it these tests fail and say how to get it (they do not skip).
//!
//! Each test makes its own directory pool under a fresh /tmp folder, and removes it at the end
//! (also when it fails: `ScratchPool`'s drop), since the daemon is shared with everything else on
//! the machine.

use crate::support::{admin_app, app_error, unique, TestApp};
use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use futures_util::stream;
use std::path::{Path, PathBuf};
use std::process::Command;
use vireo_app::backend::{HostBackend, StorageBackend, UserBackend};
use vireo_app::domain::storage::{DiskContent, DiskFormat, DiskStatus};
use vireo_app::error::AppError;
use vireo_app::models::{
    AddHostRequest, CurrentUser, DiskView, GridQuery, NewStorageDomainRequest, NewUserRequest, StorageDomainView,
};
use vireo_server::service::disk_upload::UploadRequest;

const URI: &str = "qemu:///system";

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A dir pool made for one test; its pool definition and folder go when the test ends.
struct ScratchPool {
    name: String,
    folder: PathBuf,
    domain: StorageDomainView,
}

impl Drop for ScratchPool {
    fn drop(&mut self) {
        // Whatever the test left (nothing, when it passed): the daemon is shared.
        let virsh = |args: &[&str]| {
            let _ = Command::new("virsh").arg("-c").arg(URI).args(args).output();
        };
        virsh(&["pool-destroy", &self.name]);
        virsh(&["pool-undefine", &self.name]);
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

impl ScratchPool {
    /// The files in the pool's folder (its volumes, as the host has them).
    fn files(&self) -> Vec<String> {
        std::fs::read_dir(&self.folder)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The local libvirtd's QEMU driver as a host of the app, and a fresh dir storage domain on it.
async fn qemu_pool(app: &TestApp, admin: &CurrentUser) -> ScratchPool {
    let reachable = Command::new("virsh")
        .args(["-c", URI, "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        reachable,
        "{URI} is not reachable: the upload tests need libvirtd with its QEMU driver \
         (run scripts/libvirtd.sh as root after installing libvirt-daemon-driver-qemu and qemu-system-x86; \
         scripts/test.sh does both)"
    );
    let svc = &app.state.service;
    let cluster_id = app.state.repo.list_clusters().await.expect("clusters")[0].id;
    let host = svc
        .add_host(
            admin,
            AddHostRequest {
                name: unique("qemu"),
                cluster_id,
                transport: "local".into(),
                ..Default::default()
            },
        )
        .await
        .expect("Vireo adds the local QEMU host");
    let name = unique("upload");
    let folder = std::env::temp_dir().join(unique("vireo-upload-pool"));
    let domain = svc
        .add_storage_domain(
            admin,
            NewStorageDomainRequest {
                host_id: Some(host.id),
                name: name.clone(),
                path: folder.to_string_lossy().into_owned(),
            },
        )
        .await
        .expect("a dir storage domain on the QEMU host");
    ScratchPool { name, folder, domain }
}

async fn remove(app: &TestApp, admin: &CurrentUser, pool: &ScratchPool, disks: &[DiskView]) {
    for d in disks {
        app.state.service.remove_disk(admin, d.id).await.expect("remove disk");
    }
    app.state
        .service
        .remove_storage_domain(admin, pool.domain.id)
        .await
        .expect("remove the storage domain");
}

/// An image made by qemu-img in a scratch folder: its bytes and its virtual size.
fn qemu_img(dir: &Path, file: &str, args: &[&str]) -> (Vec<u8>, u64) {
    let path = dir.join(file);
    let mut all: Vec<&str> = args.to_vec();
    let path_text = path.to_string_lossy().into_owned();
    all.push(&path_text);
    if args.first() == Some(&"create") {
        all.push("8M");
    }
    run("qemu-img", &all);
    let info: serde_json::Value =
        serde_json::from_str(&run("qemu-img", &["info", "--output=json", &path_text])).expect("qemu-img info");
    let virtual_size = info["virtual-size"].as_u64().expect("virtual-size");
    (std::fs::read(&path).expect("image"), virtual_size)
}

/// A qcow2 holding data: 3 MiB of a pattern, converted from raw (so it has allocated clusters).
fn qcow2_with_data(dir: &Path) -> (Vec<u8>, u64) {
    let raw = dir.join("data.raw");
    let pattern: Vec<u8> = (0..3 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&raw, pattern).expect("raw");
    let raw_text = raw.to_string_lossy().into_owned();
    qemu_img(dir, "data.qcow2", &["convert", "-f", "raw", "-O", "qcow2", &raw_text])
}

/// The body as the HTTP layer hands it over: uneven chunks.
fn body(bytes: &[u8], chunk: usize) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        bytes.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    stream::iter(chunks)
}

fn request(pool: &ScratchPool, name: &str, format: DiskFormat, size: usize) -> UploadRequest {
    UploadRequest {
        name: name.into(),
        storage_domain_id: Some(pool.domain.id),
        format: Some(format),
        size_bytes: size as u64,
    }
}

fn all() -> GridQuery {
    GridQuery {
        search: String::new(),
        sort: "name".into(),
        desc: false,
        page: 1,
        page_size: 100,
        focus: None,
    }
}

async fn disk_count(app: &TestApp) -> u64 {
    app.state.service.disk_grid(&all()).await.expect("disk grid").total as u64
}

/// A scratch folder for the test's images, removed when the test ends (also when it fails).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

fn scratch() -> Scratch {
    let dir = std::env::temp_dir().join(unique("vireo-upload-src"));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    Scratch(dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_qcow2_upload_is_the_files_bytes_and_its_virtual_size() {
    let (app, admin) = admin_app().await;
    let pool = qemu_pool(&app, &admin).await;
    let src = scratch();
    let (image, virtual_size) = qcow2_with_data(&src);
    let svc = &app.state.service;

    let name = unique("img");
    let disk = svc
        .upload_disk(
            &admin,
            request(&pool, &name, DiskFormat::Qcow2, image.len()),
            body(&image, 100_003),
        )
        .await
        .expect("uploaded");
    assert_eq!(disk.status, DiskStatus::Ok);
    assert_eq!(disk.format, DiskFormat::Qcow2);
    assert_eq!(
        disk.provisioned_bytes as u64, virtual_size,
        "the image's own virtual size"
    );
    assert!(
        disk.path.starts_with(&pool.folder.to_string_lossy().into_owned()),
        "{}",
        disk.path
    );
    let stored = std::fs::read(&disk.path).expect("the volume's file");
    assert!(
        stored == image,
        "the volume holds exactly the file's bytes ({} vs {})",
        stored.len(),
        image.len()
    );
    let info: serde_json::Value =
        serde_json::from_str(&run("qemu-img", &["info", "--output=json", &disk.path])).unwrap();
    assert_eq!(info["format"], "qcow2");

    // A raw image and an empty qcow2 (qemu-img create) as well; the ISO check is a unit test.
    let raw: Vec<u8> = (0..(1u32 << 20) + 17).map(|i| (i % 251) as u8).collect();
    let raw_disk = svc
        .upload_disk(
            &admin,
            request(&pool, &unique("raw"), DiskFormat::Raw, raw.len()),
            body(&raw, 65_536),
        )
        .await
        .expect("raw uploaded");
    assert_eq!(raw_disk.provisioned_bytes as u64, raw.len() as u64);
    assert_eq!(std::fs::read(&raw_disk.path).expect("raw volume"), raw);
    assert_eq!(raw_disk.content, DiskContent::Data);
    let (empty, empty_size) = qemu_img(&src, "empty.qcow2", &["create", "-f", "qcow2"]);
    let empty_disk = svc
        .upload_disk(
            &admin,
            request(&pool, &unique("empty"), DiskFormat::Qcow2, empty.len()),
            body(&empty, 1 << 20),
        )
        .await
        .expect("empty qcow2 uploaded");
    assert_eq!(empty_disk.provisioned_bytes as u64, empty_size);
    assert_eq!(std::fs::read(&empty_disk.path).expect("volume"), empty);

    remove(&app, &admin, &pool, &[disk, raw_disk, empty_disk]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_and_broken_uploads_leave_nothing_behind() {
    let (app, admin) = admin_app().await;
    let pool = qemu_pool(&app, &admin).await;
    let src = scratch();
    let svc = &app.state.service;
    let (image, _) = qcow2_with_data(&src);
    let before = disk_count(&app).await;

    // Declared raw, but it is a qcow2: a field error on the format.
    let err = svc
        .upload_disk(
            &admin,
            request(&pool, "mismatch", DiskFormat::Raw, image.len()),
            body(&image, 65_536),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Validation { errors } if errors.iter().any(|e| e.field == "format")),
        "{err:?}"
    );

    // A qcow2 whose header names a backing file (a host file a VM would read).
    let base = src.join("base.qcow2").to_string_lossy().into_owned();
    run("qemu-img", &["create", "-f", "qcow2", &base, "8M"]);
    let (backed, _) = qemu_img(
        &src,
        "backed.qcow2",
        &["create", "-f", "qcow2", "-b", &base, "-F", "qcow2"],
    );
    let err = svc
        .upload_disk(
            &admin,
            request(&pool, "backed", DiskFormat::Qcow2, backed.len()),
            body(&backed, 65_536),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Validation { errors } if errors.iter().any(|e| e.message.contains("backing file"))),
        "{err:?}"
    );

    // Bodies that end early: before the head is whole, after it, and with a transport error.
    for cut in [1000, image.len() / 2] {
        let err = svc
            .upload_disk(
                &admin,
                request(&pool, "short", DiskFormat::Qcow2, image.len()),
                body(&image[..cut], 65_536),
            )
            .await
            .unwrap_err();
        assert!(format!("{err}").contains("ended after"), "{cut}: {err:?}");
    }
    let broken = stream::iter(vec![
        Ok(Bytes::copy_from_slice(&image[..300_000])),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ]);
    let err = svc
        .upload_disk(&admin, request(&pool, "reset", DiskFormat::Qcow2, image.len()), broken)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation { .. }), "{err:?}");
    // Longer than announced.
    let err = svc
        .upload_disk(
            &admin,
            request(&pool, "long", DiskFormat::Qcow2, image.len() - 10),
            body(&image, 65_536),
        )
        .await
        .unwrap_err();
    assert!(format!("{err}").contains("More than"), "{err:?}");

    // A viewer may not upload: 403, nothing read or made.
    let viewer = viewer(&app, &admin).await;
    let err = svc
        .upload_disk(
            &viewer,
            request(&pool, "viewer", DiskFormat::Qcow2, image.len()),
            body(&image, 65_536),
        )
        .await
        .unwrap_err();
    assert_eq!(err, AppError::Forbidden);

    assert_eq!(disk_count(&app).await, before, "no disk rows stayed");
    assert_eq!(pool.files(), Vec::<String>::new(), "no volumes stayed");
    let refreshed = svc.hypervisor_volumes(&pool).await;
    assert!(refreshed.is_empty(), "libvirt lists no volumes: {refreshed:?}");
    remove(&app, &admin, &pool, &[]).await;
}

/// libvirt's own list of the pool's volumes, after a refresh.
trait PoolVolumes {
    async fn hypervisor_volumes(&self, pool: &ScratchPool) -> Vec<String>;
}

impl PoolVolumes for vireo_server::service::VireoService {
    async fn hypervisor_volumes(&self, pool: &ScratchPool) -> Vec<String> {
        self.hypervisor.refresh_pool(URI, &pool.name).await.expect("refresh");
        // A " Name  Path" header, a dashed line, then a volume per line.
        run("virsh", &["-c", URI, "vol-list", "--pool", &pool.name])
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("---"))
            .skip(1)
            .filter_map(|l| l.split_whitespace().next())
            .map(String::from)
            .collect()
    }
}

async fn viewer(app: &TestApp, admin: &CurrentUser) -> CurrentUser {
    let password = "correct horse battery".to_string();
    let view = app
        .state
        .service
        .add_user(
            admin,
            NewUserRequest {
                username: unique("viewer"),
                role: "viewer".into(),
                password: password.clone(),
                confirm: password,
            },
        )
        .await
        .expect("viewer");
    CurrentUser {
        id: view.id,
        username: view.username,
        role: view.role,
    }
}

#[tokio::test]
async fn a_simulated_host_is_refused_plainly() {
    let (app, admin) = admin_app().await;
    let host = app.first_host().await;
    let domain = app
        .state
        .service
        .storage_domain_grid(&all())
        .await
        .expect("grid")
        .rows
        .into_iter()
        .find(|d| d.host_id == host.id)
        .expect("the test driver's pool");
    let bytes = vec![0u8; 4096];
    let err = app
        .state
        .service
        .upload_disk(
            &admin,
            UploadRequest {
                name: "sim".into(),
                storage_domain_id: Some(domain.id),
                format: Some(DiskFormat::Raw),
                size_bytes: 4096,
            },
            body(&bytes, 4096),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "This host is simulated (libvirt's test driver), which cannot receive uploads; add a real host \
         (qemu:///system) to upload images."
    );
}

fn put(cookie: &str, query: &str, length: Option<u64>, body: Vec<u8>) -> Request<Body> {
    let mut r = Request::put(format!("/api/disks/upload?{query}")).header(header::COOKIE, cookie);
    if let Some(n) = length {
        r = r.header(header::CONTENT_LENGTH, n);
    }
    r.body(Body::from(body)).expect("request")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_http_endpoint_streams_the_body_and_speaks_json() {
    let (app, admin) = admin_app().await;
    let pool = qemu_pool(&app, &admin).await;
    let cookie = app.admin_cookie().await;
    // Bigger than the 256 KiB every other body is held to.
    let raw: Vec<u8> = (0..3u32 << 20).map(|i| (i % 253) as u8).collect();
    let query = format!("name=http-raw&storage_domain_id={}&format=raw", pool.domain.id);

    let response = app
        .send(put(&cookie, &query, Some(raw.len() as u64), raw.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let text = crate::support::body_text(response).await;
    let disk: DiskView = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(disk.status, DiskStatus::Ok);
    assert_eq!(std::fs::read(&disk.path).expect("volume"), raw);

    let response = app.send(put(&cookie, &query, None, raw.clone())).await;
    assert_eq!(response.status(), StatusCode::LENGTH_REQUIRED);
    let response = app.send(put(&cookie, &query, Some(u64::MAX), Vec::new())).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(matches!(app_error(response).await, AppError::Validation { .. }));
    let response = app
        .send(put(
            &cookie,
            "name=x&format=vmdk&storage_domain_id=nope",
            Some(4),
            vec![0; 4],
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    match app_error(response).await {
        AppError::Validation { errors } => {
            let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            assert!(
                fields.contains(&"format") && fields.contains(&"storage_domain_id"),
                "{fields:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let anonymous = Request::put(format!("/api/disks/upload?{query}"))
        .header(header::CONTENT_LENGTH, 4)
        .body(Body::from(vec![0u8; 4]))
        .unwrap();
    assert_eq!(app.send(anonymous).await.status(), StatusCode::UNAUTHORIZED);
    let cross_site = Request::put(format!("/api/disks/upload?{query}"))
        .header(header::COOKIE, &cookie)
        .header(header::HOST, "vireo.example")
        .header(header::ORIGIN, "http://evil.example")
        .header(header::CONTENT_LENGTH, 4)
        .body(Body::from(vec![0u8; 4]))
        .unwrap();
    assert_eq!(app.send(cross_site).await.status(), StatusCode::FORBIDDEN);

    remove(&app, &admin, &pool, &[disk]).await;
}

/// A small xorshift generator (as the robustness run's): reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The robustness run for the upload endpoint, on a real pool (the general run in robustness.rs
/// has only the test driver, which refuses every upload before reading a byte): hostile queries,
/// lying or missing Content-Lengths, mutated qcow2 headers, as admin and viewer. No 5xx, an answer
/// within a bound, and afterwards exactly the accepted uploads exist, as rows and as files.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_uploads_get_4xx_and_leave_only_what_was_accepted() {
    let (app, admin) = admin_app().await;
    let pool = qemu_pool(&app, &admin).await;
    let src = scratch();
    let (image, _) = qcow2_with_data(&src);
    let admin_cookie = app.admin_cookie().await;
    let viewer = viewer(&app, &admin).await;
    let viewer_cookie = app
        .login(&viewer.username, "correct horse battery")
        .await
        .expect("viewer logs in");
    let simulated = app
        .state
        .repo
        .list_storage_domains(false)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id != pool.domain.id)
        .expect("the test driver's pool")
        .id;
    let before = disk_count(&app).await;
    let mut rng = Rng(0x0b10_ad5e);
    let mut accepted = 0;
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    for i in 0..120 {
        let name = match rng.below(6) {
            0 => String::new(),
            1 => "..%2F..%2Fetc%2Fshadow".into(),
            2 => "a%00b".into(),
            3 => "x".repeat(300),
            _ => format!("h{i}"),
        };
        let domain = match rng.below(5) {
            0 => simulated.to_string(),
            1 => uuid::Uuid::new_v4().to_string(),
            2 => "not-a-uuid".into(),
            _ => pool.domain.id.to_string(),
        };
        let format = ["qcow2", "raw", "iso", "", "QCOW2", "vmdk", "qcow2", "qcow2"][rng.below(8)];
        let mut body = match rng.below(4) {
            0 => (0..rng.below(300_000)).map(|_| rng.next() as u8).collect(),
            1 => image[..rng.below(image.len())].to_vec(),
            _ => image.clone(),
        };
        // Flip bytes of the header now and then (version, backing offset, features, lengths).
        if rng.below(2) == 0 && body.len() > 104 {
            for _ in 0..=rng.below(3) {
                let at = rng.below(104);
                body[at] = rng.next() as u8;
            }
        }
        let exact = body.len() as u64;
        let length = match rng.below(8) {
            0 => None,
            1 => Some(exact + 1 + rng.below(1000) as u64),
            2 => Some(exact.saturating_sub(1 + rng.below(1000) as u64)),
            3 => Some(u64::MAX),
            _ => Some(exact),
        };
        let mut cookie = if rng.below(4) == 0 {
            &viewer_cookie
        } else {
            &admin_cookie
        };
        // Half the requests are well formed but for the mutated header: they reach libvirt.
        let (name, domain, format, length) = if rng.below(2) == 0 {
            cookie = &admin_cookie;
            (format!("h{i}"), pool.domain.id.to_string(), "qcow2", Some(exact))
        } else {
            (name, domain, format, length)
        };
        let query = format!("name={name}&storage_domain_id={domain}&format={format}");
        let what = format!("#{i} {query:.120} length {length:?} of {exact}");
        let response = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            app.send(put(cookie, &query, length, body)),
        )
        .await
        .unwrap_or_else(|_| panic!("no answer within 30 s: {what}"));
        let status = response.status();
        *statuses.entry(status.as_u16()).or_default() += 1;
        let text = crate::support::body_text(response).await;
        assert!(status.as_u16() < 500, "{status}: {what}: {text:.300}");
        if status == StatusCode::CREATED {
            assert!(cookie == &admin_cookie, "a viewer's upload was accepted: {what}");
            accepted += 1;
        }
    }
    println!("hostile uploads: {statuses:?}, {accepted} accepted");
    assert_eq!(
        disk_count(&app).await,
        before + accepted,
        "rows: only the accepted uploads"
    );
    assert_eq!(pool.files().len() as u64, accepted, "files: only the accepted uploads");
    let disks = app.state.service.disk_grid(&all()).await.unwrap().rows;
    let ours: Vec<DiskView> = disks
        .into_iter()
        .filter(|d| d.storage_domain_id == pool.domain.id)
        .collect();
    assert!(ours.iter().all(|d| d.status == DiskStatus::Ok), "{ours:?}");
    remove(&app, &admin, &pool, &ours).await;
}

/// Two uploads into one pool at once: the first to finish refreshes the pool while the other still
/// streams, and both must land whole.
#[tokio::test(flavor = "multi_thread")]
async fn uploads_at_the_same_time_into_one_pool_both_land() {
    let (app, admin) = admin_app().await;
    let pool = qemu_pool(&app, &admin).await;
    let svc = &app.state.service;
    let slow: Vec<u8> = (0..4u32 << 20).map(|i| (i % 241) as u8).collect();
    let quick: Vec<u8> = (0..1u32 << 20).map(|i| (i % 239) as u8).collect();
    // The slow one trickles for about two seconds, so the quick one ends in the middle of it.
    let trickle = futures_util::StreamExt::then(body(&slow, 128 << 10), |chunk| async move {
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        chunk
    });
    let ((a, a_done), (b, b_done)) = tokio::join!(
        async {
            let r = svc
                .upload_disk(&admin, request(&pool, "slow", DiskFormat::Raw, slow.len()), trickle)
                .await;
            (r, std::time::Instant::now())
        },
        async {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let r = svc
                .upload_disk(
                    &admin,
                    request(&pool, "quick", DiskFormat::Raw, quick.len()),
                    body(&quick, 65_536),
                )
                .await;
            (r, std::time::Instant::now())
        }
    );
    let (a, b) = (a.expect("the slow upload"), b.expect("the quick upload"));
    assert!(
        b_done < a_done,
        "the quick upload ended (and refreshed the pool) while the slow one ran"
    );
    assert_eq!(std::fs::read(&a.path).expect("slow volume"), slow);
    assert_eq!(std::fs::read(&b.path).expect("quick volume"), quick);
    remove(&app, &admin, &pool, &[a, b]).await;
}
