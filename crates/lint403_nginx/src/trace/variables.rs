//! Variables, templates and `if` conditions as nginx's script engine
//! evaluates them.

use std::path::PathBuf;

use lint403_core::model::{Condition, FileTest, RuleKind, TextTest};
use lint403_core::StepRole;

use super::content::{lexical, Look};
use super::{referer_valid, truncate, Tracer};

impl Tracer<'_> {
    /// A regex matched: `$1`… are its groups, and each named group
    /// becomes a variable.
    pub(super) fn set_captures(&mut self, groups: Vec<Option<String>>, names: &[Option<String>]) {
        for (name, value) in names.iter().zip(&groups) {
            if let Some(name) = name {
                self.vars
                    .insert(name.clone(), value.clone().unwrap_or_default());
            }
        }
        self.captures = super::Captures::Groups(groups);
    }

    /// `$group` of the last regex that matched.
    fn capture(&mut self, group: usize) -> Option<String> {
        if let super::Captures::OfLocation { scope, uri } = &self.captures {
            let groups = crate::select::location_captures(self.model, *scope, uri);
            self.captures = super::Captures::Groups(groups);
        }
        match &self.captures {
            super::Captures::Groups(groups) => groups.get(group).cloned().flatten(),
            super::Captures::OfLocation { .. } => None,
        }
    }

    /// An `if` condition.
    pub(super) fn condition(&mut self, condition: &Condition) -> Result<bool, String> {
        match condition {
            Condition::Always => Ok(true),
            Condition::Not(inner) => self.condition(inner).map(|holds| !holds),
            Condition::All(parts) => {
                for part in parts {
                    if !self.condition(part)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Condition::Any(parts) => {
                for part in parts {
                    if self.condition(part)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Condition::Var { name, test } => {
                let value = self.variable(name)?;
                match test {
                    TextTest::Matches(pattern) => {
                        match pattern.captures(value.as_deref().unwrap_or("")) {
                            None => Err(format!("lint403 cannot run the regex {}", pattern.source)),
                            Some(None) => {
                                // A regex of the rewrite module that does
                                // not match empties `$1`… (nginx, probed:
                                // `fixtures/trace/nginx/captures-lazy.case`).
                                self.captures = super::Captures::Groups(Vec::new());
                                Ok(false)
                            }
                            Some(Some(groups)) => {
                                self.set_captures(groups, &pattern.capture_names());
                                Ok(true)
                            }
                        }
                    }
                    TextTest::Equals {
                        value: expected,
                        case_insensitive,
                    } => {
                        let expected = self.expand(expected)?;
                        let value = value.unwrap_or_default();
                        Ok(if *case_insensitive {
                            value.eq_ignore_ascii_case(&expected)
                        } else {
                            value == expected
                        })
                    }
                    other => other
                        .test(value.as_deref())
                        .ok_or_else(|| "a test lint403 cannot evaluate".to_string()),
                }
            }
            Condition::File { path, test } => {
                let expanded = self.expand(path)?;
                let path = PathBuf::from(&expanded);
                // The file tests open the path as the static module does,
                // `disable_symlinks` included; a refusal reads as "no".
                let Some(kind) = self.look(&path) else {
                    return Err(format!(
                        "the file test on {expanded} needs a view of the filesystem, which lint403 lacks"
                    ));
                };
                Ok(match (test, kind) {
                    (FileTest::Exists, Look::File | Look::Dir | Look::Other)
                    | (FileTest::File, Look::File)
                    | (FileTest::Directory, Look::Dir) => true,
                    (FileTest::Executable, Look::File | Look::Dir | Look::Other) => {
                        use std::os::unix::fs::PermissionsExt;
                        self.options
                            .fs
                            .local(&lexical(&path))
                            .and_then(|local| std::fs::metadata(local).ok())
                            .is_some_and(|meta| meta.permissions().mode() & 0o111 != 0)
                    }
                    _ => false,
                })
            }
            Condition::ClientIp(cidr) => Ok(cidr.contains(self.client)),
            Condition::Method(methods) => {
                Ok(methods.iter().any(|m| m.eq_ignore_ascii_case(&self.method)))
            }
            Condition::Header { name, test } => test
                .test(self.header(name))
                .ok_or_else(|| "a header test lint403 cannot evaluate".to_string()),
            Condition::Path(test) => test
                .test(Some(&self.uri))
                .ok_or_else(|| "a path test lint403 cannot evaluate".to_string()),
            Condition::Query(test) => test
                .test(self.args.as_deref())
                .ok_or_else(|| "a query test lint403 cannot evaluate".to_string()),
            Condition::Unknown(text) => {
                Err(format!("lint403 does not evaluate the condition {text:?}"))
            }
        }
    }

    /// `$name`, `${name}` and `$1` in `text`, replaced by their values.
    pub(super) fn expand(&mut self, text: &str) -> Result<String, String> {
        // Variables can name each other (`root $request_filename;`, a map
        // whose value reads another map): bound the depth.
        if self.evaluating.len() > 32 {
            return Err(format!(
                "the variables in {text:?} refer to each other too deeply"
            ));
        }
        self.evaluating.push(String::new());
        let result = self.expand_inner(text);
        self.evaluating.pop();
        result
    }

    pub(super) fn expand_inner(&mut self, text: &str) -> Result<String, String> {
        let bytes = text.as_bytes();
        let mut out = String::new();
        let mut index = 0;
        while index < bytes.len() {
            if bytes[index] != b'$' {
                let next = text[index..]
                    .find('$')
                    .map_or(text.len(), |offset| index + offset);
                out.push_str(&text[index..next]);
                index = next;
                continue;
            }
            index += 1;
            if index < bytes.len() && bytes[index].is_ascii_digit() {
                let group = usize::from(bytes[index] - b'0');
                index += 1;
                if let Some(value) = self.capture(group) {
                    out.push_str(&value);
                }
                continue;
            }
            let braced = index < bytes.len() && bytes[index] == b'{';
            if braced {
                index += 1;
            }
            let start = index;
            while index < bytes.len()
                && (bytes[index].is_ascii_alphanumeric() || bytes[index] == b'_')
            {
                index += 1;
            }
            let name = &text[start..index];
            if braced && index < bytes.len() && bytes[index] == b'}' {
                index += 1;
            }
            if name.is_empty() {
                out.push('$');
                continue;
            }
            if let Some(value) = self.variable(name)? {
                out.push_str(&value);
            }
        }
        Ok(out)
    }

    /// One variable's value; `Err` for a variable lint403 does not know
    /// (a module's variable, a header it cannot see).
    #[allow(clippy::too_many_lines)] // one arm per variable
    pub(super) fn variable(&mut self, name: &str) -> Result<Option<String>, String> {
        if name.contains('$') {
            // A map source made of several variables.
            return self.expand(name).map(Some);
        }
        if let Some(value) = self.vars.get(name) {
            return Ok(Some(value.clone()));
        }
        if name.bytes().all(|b| b.is_ascii_digit()) {
            let group: usize = name.parse().unwrap_or(usize::MAX);
            return Ok(self.capture(group));
        }
        if let Some(value) = self.global_variable(name)? {
            return Ok(Some(value));
        }
        let request = self.request;
        let value = match name {
            "uri" | "document_uri" => Some(self.uri.clone()),
            "request_uri" => Some(match &request.query {
                Some(query) => format!("{}?{query}", request.path),
                None => request.path.clone(),
            }),
            "args" | "query_string" => self.args.clone(),
            "is_args" => Some(if self.args.is_some() {
                "?".into()
            } else {
                String::new()
            }),
            "host" => Some(request.host().unwrap_or_else(|| {
                self.model
                    .site(self.site)
                    .names
                    .first()
                    .cloned()
                    .unwrap_or_default()
            })),
            "server_name" => Some(
                self.model
                    .site(self.site)
                    .names
                    .first()
                    .cloned()
                    .unwrap_or_default(),
            ),
            "remote_addr" => Some(self.client.to_string()),
            "realip_remote_addr" => Some(request.client_ip.to_string()),
            "remote_user" => request.user.clone(),
            "request_method" => Some(self.method.clone()),
            "scheme" => Some(
                if self
                    .model
                    .site(self.site)
                    .listen
                    .iter()
                    .any(|listen| listen.tls)
                {
                    "https".into()
                } else {
                    "http".into()
                },
            ),
            "https" => Some(String::new()),
            "server_protocol" => Some("HTTP/1.1".into()),
            "server_port" => Some(
                request
                    .listen
                    .map(|listen| listen.port())
                    .or_else(|| self.model.site(self.site).listen.first().map(|l| l.port))
                    .unwrap_or(80)
                    .to_string(),
            ),
            "server_addr" => Some(
                request
                    .listen
                    .map_or_else(|| "127.0.0.1".to_string(), |listen| listen.ip().to_string()),
            ),
            "request_filename" => {
                let uri = self.uri.clone();
                Some(self.map_path(&uri)?.display().to_string())
            }
            "document_root" | "realpath_root" => {
                let path = self.map_path("")?;
                Some(path.display().to_string())
            }
            "invalid_referer" => Some(self.invalid_referer()),
            "fastcgi_script_name" | "fastcgi_path_info" => {
                let (script, info) = self.fastcgi_split()?;
                Some(if name == "fastcgi_script_name" {
                    script
                } else {
                    info
                })
            }
            "content_type" => self.header("content-type").map(str::to_string),
            "content_length" => self.header("content-length").map(str::to_string),
            "cookie" => self.header("cookie").map(str::to_string),
            other => {
                if let Some(header) = other.strip_prefix("http_") {
                    let wanted = header.replace('_', "-");
                    return Ok(self.header(&wanted).map(str::to_string));
                }
                if let Some(arg) = other.strip_prefix("arg_") {
                    return Ok(self.args.as_deref().and_then(|args| {
                        args.split('&').find_map(|pair| {
                            let (key, value) = pair.split_once('=')?;
                            key.eq_ignore_ascii_case(arg).then(|| value.to_string())
                        })
                    }));
                }
                if let Some(cookie) = other.strip_prefix("cookie_") {
                    return Ok(self.header("cookie").and_then(|header| {
                        header.split(';').find_map(|pair| {
                            let (key, value) = pair.trim().split_once('=')?;
                            key.eq_ignore_ascii_case(cookie).then(|| value.to_string())
                        })
                    }));
                }
                return Err(format!(
                    "the variable ${other} is not one lint403 knows the value of"
                ));
            }
        };
        Ok(value)
    }

    /// `$fastcgi_script_name` and `$fastcgi_path_info`: the URI split by
    /// `fastcgi_split_path_info` (when its regex matches), `fastcgi_index`
    /// added to a script name ending in `/`.
    pub(super) fn fastcgi_split(&mut self) -> Result<(String, String), String> {
        let uri = self.uri.clone();
        let (mut script, info) = match self.effective_setting("fastcgi_split_path_info") {
            Some((_, args)) => {
                let pattern =
                    lint403_core::Pattern::new(args.first().map_or("", String::as_str), false);
                match pattern.captures(&uri) {
                    None => {
                        return Err(format!(
                            "fastcgi_split_path_info {}: lint403 cannot run this regex",
                            pattern.source
                        ))
                    }
                    Some(Some(groups)) if groups.len() >= 3 => (
                        groups[1].clone().unwrap_or_default(),
                        groups[2].clone().unwrap_or_default(),
                    ),
                    Some(_) => (uri, String::new()),
                }
            }
            None => (uri, String::new()),
        };
        if script.ends_with('/') {
            if let Some((_, args)) = self.effective_setting("fastcgi_index") {
                script.push_str(args.first().map_or("", String::as_str));
            }
        }
        Ok((script, info))
    }

    /// A `map` or `geo` variable: the first entry whose test holds.
    pub(super) fn global_variable(&mut self, name: &str) -> Result<Option<String>, String> {
        let model = self.model;
        let mut any = false;
        if self.evaluating.iter().any(|own| own == name) {
            return Err(format!("${name} depends on itself"));
        }
        for rule in model.global_about(name) {
            match &rule.kind {
                RuleKind::Setting { name: kind, args }
                    if kind == "opaque-variable" && args.first().is_some_and(|own| own == name) =>
                {
                    return Err(format!(
                        "${name} is computed by a script lint403 does not run"
                    ));
                }
                RuleKind::SetVar {
                    name: own,
                    value,
                    when,
                } if own == name => {
                    any = true;
                    self.evaluating.push(name.to_string());
                    let holds = self.condition(when);
                    self.evaluating.pop();
                    match holds {
                        Ok(true) => {
                            let value = self.expand(value)?;
                            step!(
                                self,
                                StepRole::Evaluated,
                                Some(rule.span),
                                "${name} is {value:?}"
                            );
                            return Ok(Some(value));
                        }
                        Ok(false) => {}
                        Err(reason) => return Err(reason),
                    }
                }
                _ => {}
            }
        }
        Ok(any.then(String::new))
    }

    /// `$invalid_referer` under the configuration in effect: "1" or "".
    pub(super) fn invalid_referer(&mut self) -> String {
        let model = self.model;
        let policy = model.ancestry(self.conf).find_map(|scope| {
            model
                .scope(scope)
                .rules
                .iter()
                .rev()
                .find(|rule| matches!(rule.kind, RuleKind::RefererPolicy { .. }))
        });
        let Some(rule) = policy else {
            return String::new();
        };
        let RuleKind::RefererPolicy {
            none,
            blocked,
            server_names,
            hosts,
            regexes,
        } = &rule.kind
        else {
            return String::new();
        };
        let names = &model.site(self.site).names;
        let referer = self.header("referer");
        let (valid, why) = referer_valid(
            referer,
            *none,
            *blocked,
            if *server_names { names.as_slice() } else { &[] },
            hosts,
            regexes,
        );
        self.referer_step = Some(self.steps.len());
        step!(
            self,
            StepRole::Evaluated,
            Some(rule.span),
            "{}: {why}, so $invalid_referer is {}",
            referer.map_or_else(
                || "no Referer".to_string(),
                |value| format!("Referer {:?}", truncate(value, 80)),
            ),
            if valid { "\"\"" } else { "\"1\"" }
        );
        if valid {
            String::new()
        } else {
            if self.fix.is_none() {
                self.fix = Some(
                    "add the referring host (or `none` for requests without a Referer) to valid_referers"
                        .into(),
                );
            }
            "1".into()
        }
    }
}
