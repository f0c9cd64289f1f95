//! Apache httpd: directives and sections in reading order, `Include`s followed.
