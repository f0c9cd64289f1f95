//! The parts of Debian's `/etc/apache2/apache2.conf` (and `mods-enabled/`)
//! that decide access, assumed around a fragment when
//! `TraceOptions::distribution_defaults` is set. They are lowered from this
//! text like any configuration, so every step that uses them points at a
//! line of it.

/// The path the assumed text is registered under in the source map.
pub const DEBIAN_DEFAULTS_PATH: &str = "<debian apache2.conf defaults>";

/// Debian 12's apache2.conf access sections, `dir.conf`'s `DirectoryIndex`
/// and the default site's `DocumentRoot`.
pub const DEBIAN_DEFAULTS: &str = "\
# Assumed: Debian's /etc/apache2/apache2.conf (access sections)
AccessFileName .htaccess
<Directory />
\tOptions FollowSymLinks
\tAllowOverride None
\tRequire all denied
</Directory>
<Directory /usr/share>
\tAllowOverride None
\tRequire all granted
</Directory>
<Directory /var/www/>
\tOptions Indexes FollowSymLinks
\tAllowOverride None
\tRequire all granted
</Directory>
<FilesMatch \"^\\.ht\">
\tRequire all denied
</FilesMatch>
# Assumed: /etc/apache2/mods-enabled/dir.conf
DirectoryIndex index.html index.cgi index.pl index.php index.xhtml index.htm
";

/// Debian's compiled-in document root (the default site sets the same).
pub const DEBIAN_DOCUMENT_ROOT: &str = "/var/www/html";
