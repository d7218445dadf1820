//! The object store named by the configuration: a folder on this machine, or an
//! S3-compatible bucket under a key prefix.

use app::config::ObjectStoreUrl;
use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use std::str::FromStr;
use std::sync::Arc;

pub fn open(url: &ObjectStoreUrl) -> Result<Arc<dyn ObjectStore>, String> {
    match url {
        ObjectStoreUrl::Local(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let store = LocalFileSystem::new_with_prefix(dir).map_err(|e| e.to_string())?;
            Ok(Arc::new(store))
        }
        ObjectStoreUrl::S3 { bucket, prefix, options } => {
            let mut builder = AmazonS3Builder::new().with_bucket_name(bucket);
            for (key, value) in &options.0 {
                let key = AmazonS3ConfigKey::from_str(&key.to_ascii_lowercase()).map_err(|e| e.to_string())?;
                builder = builder.with_config(key, value);
            }
            let store = builder.build().map_err(|e| format!("the S3 store s3://{bucket}: {e}"))?;
            Ok(if prefix.is_empty() { Arc::new(store) } else { Arc::new(PrefixStore::new(store, prefix.as_str())) })
        }
    }
}

/// Where files go, for the start-up log (never the credentials).
pub fn describe(url: &ObjectStoreUrl) -> String {
    match url {
        ObjectStoreUrl::Local(dir) => format!("file://{}", dir.display()),
        ObjectStoreUrl::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}"),
    }
}
