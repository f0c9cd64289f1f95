//! nginx: the configuration as a tree of blocks, `include`s replaced by
//! what they load ([`Tree`]), and every directive of its files on its
//! own ([`each_directive`]).

use std::borrow::Cow;

use lint403_core::{FileId, SourceMap, Span};
use lint403_nginx::syntax::{Directive, Item};
use lint403_nginx::LoadedConfig;

/// A directive of a file.
pub struct Visit<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub directive: &'a Directive,
}

impl<'a> Visit<'a> {
    /// Whether the directive is named `name` (by its table entry when nginx
    /// knows the name, without reading the text).
    pub fn is(&self, name: &str) -> bool {
        self.directive.is_named(self.text, name)
    }

    /// The unescaped value of argument `index`, without the others.
    pub fn arg(&self, index: usize) -> Option<Cow<'a, str>> {
        self.directive
            .args
            .get(index)
            .map(|word| word.value(self.text))
    }

    /// Argument `index`'s span (the name's when there is none).
    pub fn arg_span(&self, index: usize) -> Span {
        self.directive.args.get(index).map_or_else(
            || Span::new(self.file, self.directive.name.range()),
            |word| Span::new(self.file, word.range()),
        )
    }
}

/// Calls `visit` once for every directive of every file of the
/// configuration, nested ones too, file by file in the order they were
/// first reached: for the questions a line answers on its own, wherever
/// it is included.
pub fn each_directive<'a>(
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    mut visit: impl FnMut(&Visit<'a>),
) {
    for loaded in &config.files {
        let text = sources.get(loaded.id).text.as_str();
        each_in(loaded.id, text, &loaded.tree.items, &mut visit);
    }
}

fn each_in<'a>(file: FileId, text: &'a str, items: &'a [Item], visit: &mut impl FnMut(&Visit<'a>)) {
    for item in items {
        let Item::Directive(directive) = item else {
            continue;
        };
        visit(&Visit {
            file,
            text,
            directive,
        });
        // Nesting is bounded by the parser (deeper blocks are raw).
        if let Some(block) = directive.block() {
            each_in(file, text, &block.items, visit);
        }
    }
}

/// One block of the configuration (or the root file), with its directives
/// in reading order, `include`s flattened into their place.
pub struct Node<'a> {
    /// The block directive (`None` for the root file).
    pub block: Option<Entry<'a>>,
    /// [`Node::parent`], `u32::MAX` for the root (a large configuration's
    /// tree has hundreds of thousands of nodes; see `a_node_stays_small`).
    parent: u32,
    pub entries: Vec<Entry<'a>>,
    /// (directive name, position in `entries`), sorted by name, then
    /// position, for a block of more than [`INDEXED_BLOCK`] directives: an
    /// `http` block that includes a thousand servers is asked for its
    /// `allow` lines once per location, and must not be scanned each time.
    /// Smaller blocks (nearly all of them) are scanned: an index would cost
    /// more to build and keep than the scans it saves.
    by_name: Box<[(Cow<'a, str>, usize)]>,
    /// Two bits per directive name standing here ([`name_bits`]):
    /// inheritance questions ask every ancestor of every location for
    /// names that most blocks do not hold, and this answers "not here"
    /// without a scan.
    names_present: [u64; 2],
    /// Its `location` blocks in the order [`Tree::select`] tries them
    /// ([`LocationKind::selection_rank`]): exact ones, then prefixes
    /// longest first, then regexes, then named ones, each group (and each
    /// length of prefix) in reading order. Selection asks for them for
    /// every probe of every rule, and scanning every location three times
    /// took several per cent of a large check.
    pub locations: Vec<Location<'a>>,
    /// Its `allow`/`deny` list, parsed on first use: rules ask for the list
    /// in effect at every location, and most locations inherit one.
    acl: std::sync::OnceLock<Box<[AclEntry<'a>]>>,
}

/// Blocks with more directives than this get a name index.
const INDEXED_BLOCK: usize = 24;

/// Two of 128 bits for a directive name, from its length and three of its
/// bytes, mixed by one multiplication: cheap enough to compute for every
/// question, and rarely all set by the other names of a block. A false
/// "maybe here" only costs a scan.
fn name_bits(name: &str) -> u128 {
    let bytes = name.as_bytes();
    let at = |index: usize| u64::from(bytes.get(index).copied().unwrap_or(0));
    let key = (bytes.len() as u64)
        | at(0) << 16
        | at(bytes.len() / 2) << 24
        | at(bytes.len().wrapping_sub(1)) << 32;
    let mixed = key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (1 << (mixed >> 57)) | (1 << ((mixed >> 50) & 127))
}

impl<'a> Node<'a> {
    /// A node for `block` under `parent` (`u32::MAX`: none), with room for
    /// `capacity` entries.
    fn new(block: Option<Entry<'a>>, parent: u32, capacity: usize) -> Node<'a> {
        Node {
            block,
            parent,
            entries: Vec::with_capacity(capacity),
            by_name: Box::default(),
            names_present: [0; 2],
            locations: Vec::new(),
            acl: std::sync::OnceLock::new(),
        }
    }

    /// The node of the block that holds this one; `None` for the root.
    pub fn parent(&self) -> Option<usize> {
        (self.parent != u32::MAX).then_some(self.parent as usize)
    }

    /// Whether every bit of `bits` ([`name_bits`]) is set here.
    fn may_hold(&self, bits: u128) -> bool {
        let present = u128::from(self.names_present[0]) | u128::from(self.names_present[1]) << 64;
        present & bits == bits
    }

    /// The `by_name` run of the directives named `name`.
    fn named(&self, name: &str) -> &[(Cow<'a, str>, usize)] {
        let start = self
            .by_name
            .partition_point(|(known, _)| known.as_ref() < name);
        let rest = self.by_name.get(start..).unwrap_or_default();
        let length = rest.partition_point(|(known, _)| known.as_ref() == name);
        rest.get(..length).unwrap_or_default()
    }

    fn is_indexed(&self) -> bool {
        self.entries.len() > INDEXED_BLOCK
    }
}

/// A `location` block standing directly in a [`Node`].
#[derive(Clone)]
pub struct Location<'a> {
    pub kind: LocationKind,
    /// The prefix, exact path, regex or name.
    pub pattern: Cow<'a, str>,
    /// `~*`.
    pub case_insensitive: bool,
    /// The node of its block.
    pub node: usize,
}

/// A directive standing directly in a [`Node`].
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    pub file: FileId,
    /// The file's text (a thin reference: a large configuration's tree
    /// holds millions of entries).
    pub text: &'a String,
    pub directive: &'a Directive,
    /// [`Entry::child`], `u32::MAX` for none.
    child: u32,
}

impl<'a> Entry<'a> {
    /// The node of its block, if it has one with directives.
    pub fn child(&self) -> Option<usize> {
        (self.child != u32::MAX).then_some(self.child as usize)
    }

    pub fn name(&self) -> Cow<'a, str> {
        self.directive.name(self.text)
    }

    pub fn is(&self, name: &str) -> bool {
        self.directive.is_named(self.text, name)
    }

    /// The unescaped argument values.
    pub fn args(&self) -> Vec<Cow<'a, str>> {
        self.directive
            .args
            .iter()
            .map(|word| word.value(self.text))
            .collect()
    }

    pub fn arg(&self, index: usize) -> Option<Cow<'a, str>> {
        self.directive
            .args
            .get(index)
            .map(|word| word.value(self.text))
    }

    pub fn span(&self) -> Span {
        Span::new(self.file, self.directive.range())
    }

    /// The name and arguments, without the `;` or block.
    pub fn head_span(&self) -> Span {
        Span::new(self.file, self.directive.head_range())
    }

    pub fn arg_span(&self, index: usize) -> Span {
        self.directive.args.get(index).map_or_else(
            || Span::new(self.file, self.directive.name.range()),
            |word| Span::new(self.file, word.range()),
        )
    }
}

/// The configuration as a tree of blocks, includes followed. Node 0 is the
/// root file, whose context is [`LoadedConfig::root_context`].
pub struct Tree<'a> {
    pub nodes: Vec<Node<'a>>,
    pub root_context: lint403_nginx::directives::Context,
    pub fragment: bool,
    /// [`Tree::effective_acl`] of every node, found on first use: rules
    /// ask it of the location each of their probes selects.
    acl_holders: std::sync::OnceLock<Holders>,
    /// [`Tree::effective_entry`] of every node for each of [`INHERITED`],
    /// found on first use (asked of every location by several rules).
    inherited: [std::sync::OnceLock<Holders>; INHERITED.len()],
    /// The `server` blocks of `http` the tree keeps ([`Tree::build_window`];
    /// `None`: all of them).
    window: Option<std::ops::Range<usize>>,
    /// How many `server` blocks of `http` the build met, kept or not.
    http_servers: usize,
}

const ACL_NAMES: &[&str] = &["allow", "deny"];

/// The directives whose block in effect is kept for every node.
const INHERITED: [&str; 3] = ["auth_basic", "auth_request", "satisfy"];

/// Sorts a node's `locations` (in reading order) into the order
/// [`Tree::select`] tries them; a stable sort, so each group keeps its
/// reading order.
fn sort_for_selection(locations: &mut [Location<'_>]) {
    if locations.len() < 2 {
        return;
    }
    locations.sort_by_key(|location| {
        let rank = location.kind.selection_rank();
        let longest_first = if rank == 1 { location.pattern.len() } else { 0 };
        (rank, std::cmp::Reverse(longest_first))
    });
}

impl<'a> Tree<'a> {
    pub fn build(config: &'a LoadedConfig, sources: &'a SourceMap) -> Tree<'a> {
        // Counted first, so the node list is allocated once: grown by
        // doubling, a large configuration's list was copied a dozen times
        // into fresh memory, which the kernel zeroes page by page.
        let blocks = config.block_count(sources);
        let tree = Tree::build_keeping(config, sources, None, blocks + 1);
        debug_assert_eq!(
            tree.nodes.len(),
            blocks + 1,
            "the count walks as the build does"
        );
        tree
    }

    /// The tree with only the `server` blocks of `http` numbered
    /// `servers` (in reading order, from 0) and everything outside them:
    /// the main context, `http`'s own directives, `stream`, `mail`. A
    /// rule that judges each node by what encloses it finds in the
    /// windows together what it finds in the whole tree (nginx never
    /// takes a request from one `server` to another), and a window of a
    /// configuration with thousands of servers takes a few megabytes
    /// where the whole tree takes a hundred.
    pub fn build_window(
        config: &'a LoadedConfig,
        sources: &'a SourceMap,
        servers: std::ops::Range<usize>,
        http_servers: usize,
    ) -> Tree<'a> {
        // The window's share of the blocks, and some room: servers differ
        // in size, and a list grown by doubling is copied each time.
        let capacity = if servers.is_empty() {
            1
        } else {
            let share = config.block_count(sources) * servers.len() / http_servers.max(1);
            share + share / 4 + 64
        };
        Tree::build_keeping(config, sources, Some(servers), capacity)
    }

    /// How many `server` blocks stand in `http`, those a window left out
    /// included.
    pub fn http_servers(&self) -> usize {
        self.http_servers
    }

    fn build_keeping(
        config: &'a LoadedConfig,
        sources: &'a SourceMap,
        window: Option<std::ops::Range<usize>>,
        capacity: usize,
    ) -> Tree<'a> {
        let mut nodes = Vec::with_capacity(capacity);
        nodes.push(Node::new(None, u32::MAX, 0));
        let mut tree = Tree {
            nodes,
            root_context: config.root_context,
            fragment: config.fragment,
            acl_holders: std::sync::OnceLock::new(),
            inherited: Default::default(),
            window,
            http_servers: 0,
        };
        let mut files_open = Vec::new();
        tree.add_file(config, sources, config.root, 0, &mut files_open);
        for node in &mut tree.nodes {
            sort_for_selection(&mut node.locations);
            // Sized from the block's items, so only blocks that include
            // files grew; copying every list again to trim it cost more.
            if node.entries.capacity() > 2 * node.entries.len() + 8 {
                node.entries.shrink_to_fit();
            }
            let present = node
                .entries
                .iter()
                .fold(0, |present, entry| present | name_bits(&entry.name()));
            #[allow(clippy::cast_possible_truncation)] // the two halves
            {
                node.names_present = [present as u64, (present >> 64) as u64];
            }
            if node.is_indexed() {
                node.by_name = node
                    .entries
                    .iter()
                    .enumerate()
                    .map(|(position, entry)| (entry.name(), position))
                    .collect::<Vec<_>>()
                    .into_boxed_slice();
                // Stable: positions stay in reading order within a name.
                node.by_name.sort_by(|a, b| a.0.cmp(&b.0));
            }
        }
        tree
    }

    fn add_file(
        &mut self,
        config: &'a LoadedConfig,
        sources: &'a SourceMap,
        file: FileId,
        node: usize,
        files_open: &mut Vec<FileId>,
    ) {
        if files_open.contains(&file) {
            return;
        }
        let Some(loaded) = config.file(file) else {
            return;
        };
        files_open.push(file);
        let text = &sources.get(file).text;
        self.add_items(
            config,
            sources,
            file,
            text,
            &loaded.tree.items,
            node,
            files_open,
        );
        files_open.pop();
    }

    #[allow(clippy::too_many_arguments)] // the build's state, threaded through recursion
    fn add_items(
        &mut self,
        config: &'a LoadedConfig,
        sources: &'a SourceMap,
        file: FileId,
        text: &'a String,
        items: &'a [Item],
        node: usize,
        files_open: &mut Vec<FileId>,
    ) {
        let in_http = self.kind(node) == "http";
        for item in items {
            let Item::Directive(directive) = item else {
                continue;
            };
            if directive.is_named(text, "include") {
                for &target in config.include_targets(file, directive) {
                    self.add_file(config, sources, target, node, files_open);
                }
                continue;
            }
            if in_http && directive.is_named(text, "server") && self.leaves_out_server(directive) {
                continue;
            }
            let mut entry = Entry {
                file,
                text,
                directive,
                child: u32::MAX,
            };
            if let Some(block) = directive.block() {
                if block.kind == lint403_nginx::syntax::BodyKind::Directives {
                    let child = self.nodes.len();
                    entry.child = u32::try_from(child).unwrap_or(u32::MAX);
                    self.nodes.push(Node::new(
                        Some(entry),
                        u32::try_from(node).unwrap_or(u32::MAX),
                        block.items.len(),
                    ));
                    self.add_items(config, sources, file, text, &block.items, child, files_open);
                }
            }
            let location = entry.child().and_then(|child| {
                let (kind, pattern) = entry.location()?;
                Some(Location {
                    kind,
                    pattern,
                    case_insensitive: entry.is_case_insensitive_regex(),
                    node: child,
                })
            });
            if let Some(target) = self.nodes.get_mut(node) {
                target.locations.extend(location);
                target.entries.push(entry);
            }
        }
    }

    /// Counts a `server` of `http`; whether the window leaves it out.
    fn leaves_out_server(&mut self, directive: &Directive) -> bool {
        if directive
            .block()
            .is_none_or(|block| block.kind != lint403_nginx::syntax::BodyKind::Directives)
        {
            return false;
        }
        let ordinal = self.http_servers;
        self.http_servers += 1;
        self.window
            .as_ref()
            .is_some_and(|window| !window.contains(&ordinal))
    }

    pub fn node(&self, index: usize) -> &Node<'a> {
        &self.nodes[index]
    }

    /// The block's directive name (`server`, `location`, `if`, ...), or
    /// for the root the name of its context (`main`, `http`, `server`,
    /// `location`).
    pub fn kind(&self, index: usize) -> Cow<'a, str> {
        if let Some(block) = self.nodes.get(index).and_then(|node| node.block) {
            return block.name();
        }
        Cow::Borrowed(match self.root_context {
            lint403_nginx::Context::Http => "http",
            lint403_nginx::Context::Server => "server",
            lint403_nginx::Context::Location => "location",
            _ => "main",
        })
    }

    /// `index`, its parent, ..., the root.
    pub fn ancestors(&self, index: usize) -> impl Iterator<Item = usize> + use<'_, 'a> {
        std::iter::successors(Some(index), |&i| self.nodes.get(i).and_then(Node::parent))
    }

    /// The directives named one of `names` standing directly in `index`.
    pub fn own<'t>(
        &'t self,
        index: usize,
        names: &'t [&'t str],
    ) -> impl Iterator<Item = &'t Entry<'a>> + 't {
        let node = self
            .nodes
            .get(index)
            .filter(|node| names.iter().any(|name| node.may_hold(name_bits(name))));
        let indexed = node.is_some_and(Node::is_indexed);
        // A small block is scanned in reading order.
        let scanned = node
            .filter(|_| !indexed)
            .into_iter()
            .flat_map(|node| &node.entries)
            .filter(move |entry| names.iter().any(|name| entry.is(name)));
        // A large one reads one name's positions in place; several are
        // merged back into reading order.
        let single = match (node, names) {
            (Some(node), [name]) if indexed => node.named(name),
            _ => &[],
        };
        let merged = (indexed && names.len() != 1).then(|| {
            let mut positions: Vec<usize> = node
                .into_iter()
                .flat_map(|node| names.iter().flat_map(|name| node.named(name)))
                .map(|(_, position)| *position)
                .collect();
            positions.sort_unstable();
            positions
        });
        let looked_up = single
            .iter()
            .map(|(_, position)| *position)
            .chain(merged.into_iter().flatten())
            .filter_map(move |position| node.and_then(|node| node.entries.get(position)));
        scanned.chain(looked_up)
    }

    /// The nearest of `index` and its ancestors that has a directive named
    /// one of `names` (nginx's usual inheritance: a child without the
    /// directive takes the parent's).
    pub fn effective(&self, index: usize, names: &[&str]) -> Option<usize> {
        self.ancestors(index)
            .find(|&i| self.own(i, names).next().is_some())
    }

    /// Whether `index` lies inside (or is) `ancestor`.
    pub fn is_within(&self, index: usize, ancestor: usize) -> bool {
        self.ancestors(index).any(|i| i == ancestor)
    }

    /// The nearest `server` block at or above `index`.
    pub fn server_of(&self, index: usize) -> Option<usize> {
        self.ancestors(index).find(|&i| self.kind(i) == "server")
    }

    /// The nearest `server { }` block at or above `index` (a fragment's
    /// root in server context does not count: its includer is unknown).
    pub fn server_block_of(&self, index: usize) -> Option<usize> {
        self.ancestors(index).find(|&i| {
            self.nodes
                .get(i)
                .and_then(|node| node.block)
                .is_some_and(|block| block.is("server"))
        })
    }

    /// A URI that reaches `index`: the argument of the nearest prefix or
    /// exact `location`, else `/`.
    pub fn sample_path(&self, index: usize) -> String {
        for i in self.ancestors(index) {
            let Some(block) = self.nodes.get(i).and_then(|n| n.block) else {
                continue;
            };
            if !block.is("location") {
                continue;
            }
            let args = block.args();
            return match args.as_slice() {
                [path] => path.to_string(),
                [modifier, path] if modifier == "^~" || modifier == "=" => path.to_string(),
                [_, pattern] => format!("<a URI matching {pattern}>"),
                _ => "/".to_string(),
            };
        }
        "/".to_string()
    }
}

/// One `allow`/`deny` entry.
#[derive(Clone, Copy)]
pub struct AclEntry<'a> {
    pub entry: Entry<'a>,
    pub allow: bool,
    pub subject: Subject,
}

/// What an `allow`/`deny` entry matches.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Subject {
    /// `all`: every IPv4, IPv6 and unix-socket client.
    All,
    /// `unix:`
    Unix,
    /// An address with a prefix length (host bits cleared, as nginx does);
    /// a `u8`, so that an entry of a list takes 48 bytes, not 56.
    Net(std::net::IpAddr, u8),
}

impl Subject {
    pub fn parse(text: &str) -> Option<Subject> {
        if text == "all" {
            return Some(Subject::All);
        }
        if text == "unix:" {
            return Some(Subject::Unix);
        }
        let cidr = lint403_nginx::address::parse_cidr(text)?;
        Some(Subject::Net(cidr.network, cidr.prefix))
    }

    /// Whether every client this matches is also matched by `other`.
    pub fn covered_by(self, other: Subject) -> bool {
        match (self, other) {
            (_, Subject::All) | (Subject::Unix, Subject::Unix) => true,
            (Subject::Net(address, prefix), Subject::Net(net, net_prefix)) => {
                address.is_ipv4() == net.is_ipv4()
                    && net_prefix <= prefix
                    && mask(address, net_prefix) == net
            }
            _ => false,
        }
    }

    /// Whether it matches the client `address`.
    pub fn matches(self, address: std::net::IpAddr) -> bool {
        match self {
            Subject::All => true,
            Subject::Unix => false,
            Subject::Net(net, prefix) => {
                let address = match address {
                    std::net::IpAddr::V6(v6) => {
                        v6.to_ipv4_mapped().map_or(address, std::net::IpAddr::V4)
                    }
                    std::net::IpAddr::V4(_) => address,
                };
                net.is_ipv4() == address.is_ipv4() && mask(address, prefix) == net
            }
        }
    }

    /// Every client of one address family (`0.0.0.0/0`, `::/0`) or all.
    pub fn is_everyone(self) -> bool {
        matches!(self, Subject::All | Subject::Net(_, 0))
    }
}

fn mask(address: std::net::IpAddr, prefix: u8) -> std::net::IpAddr {
    let prefix = u32::from(prefix);
    match address {
        std::net::IpAddr::V4(v4) => {
            let bits = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            std::net::IpAddr::V4((u32::from(v4) & bits).into())
        }
        std::net::IpAddr::V6(v6) => {
            let bits = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            std::net::IpAddr::V6((u128::from(v6) & bits).into())
        }
    }
}

impl<'a> Tree<'a> {
    /// The `allow`/`deny` entries standing directly in `index`, in order
    /// (entries nginx would reject are left out).
    pub fn acl(&self, index: usize) -> &[AclEntry<'a>] {
        let Some(node) = self.nodes.get(index) else {
            return &[];
        };
        node.acl.get_or_init(|| {
            // Sized from the lines first: collected, a list of three took
            // room for four (and one of five, eight), for 360,000 entries.
            let mut list = Vec::with_capacity(self.own(index, ACL_NAMES).count());
            list.extend(self.own(index, ACL_NAMES).filter_map(|entry| {
                let subject = Subject::parse(&entry.arg(0)?)?;
                Some(AclEntry {
                    entry: *entry,
                    allow: entry.is("allow"),
                    subject,
                })
            }));
            list.into_boxed_slice()
        })
    }

    /// The node whose `allow`/`deny` list is in effect at `index` (nginx
    /// inherits the whole list only into a block with none of its own).
    pub fn effective_acl(&self, index: usize) -> Option<usize> {
        self.acl_holders
            .get_or_init(|| self.holders(ACL_NAMES))
            .get(index)
    }

    /// [`Tree::effective`] of every node for `names`: parents come before
    /// their children in `nodes`, so one pass answers for all of them.
    fn holders(&self, names: &[&str]) -> Holders {
        let mut holders = Holders(Vec::with_capacity(self.nodes.len()));
        for (node, block) in self.nodes.iter().enumerate() {
            let holder = if self.own(node, names).next().is_some() {
                Some(node)
            } else {
                match block.parent() {
                    Some(parent) if parent < node => holders.get(parent),
                    Some(_) => self.effective(node, names),
                    None => None,
                }
            };
            holders.push(holder);
        }
        holders
    }
}

/// For every node, the node holding the directives in effect there
/// ([`Tree::holders`]): `u32` indexes, [`Holders::NONE`] for none (an
/// `Option<usize>` per node took 16 bytes, four lists of them for a
/// configuration of 300,000 blocks).
struct Holders(Vec<u32>);

impl Holders {
    const NONE: u32 = u32::MAX;

    fn get(&self, node: usize) -> Option<usize> {
        let holder = *self.0.get(node)?;
        (holder != Self::NONE).then_some(holder as usize)
    }

    fn push(&mut self, holder: Option<usize>) {
        self.0.push(
            holder
                .and_then(|holder| u32::try_from(holder).ok())
                .unwrap_or(Self::NONE),
        );
    }
}

/// The first entry of `list` matching `address`, as nginx decides (no
/// match: the access module declines, the client is let through).
pub fn decide<'l, 'a>(
    list: &'l [AclEntry<'a>],
    address: std::net::IpAddr,
) -> Option<&'l AclEntry<'a>> {
    list.iter().find(|entry| entry.subject.matches(address))
}

/// Client addresses worth trying against lists: documentation addresses
/// outside everything, and the first address of each listed network.
pub fn probe_addresses(lists: &[&[AclEntry<'_>]]) -> Vec<std::net::IpAddr> {
    let mut probes: Vec<std::net::IpAddr> = vec![
        std::net::IpAddr::from([203, 0, 113, 7]),
        std::net::IpAddr::from([198, 51, 100, 23]),
        "2001:db8::7"
            .parse()
            .unwrap_or(std::net::IpAddr::from([192, 0, 2, 1])),
    ];
    for list in lists {
        for entry in *list {
            if let Subject::Net(net, prefix) = entry.subject {
                let candidate = sample_host(net, prefix);
                if !probes.contains(&candidate) {
                    probes.push(candidate);
                }
            }
        }
    }
    probes
}

/// One host of a network: its first address after the network address
/// (the address itself for a single host).
pub fn sample_host(net: std::net::IpAddr, prefix: u8) -> std::net::IpAddr {
    match net {
        std::net::IpAddr::V4(v4) if prefix < 31 => std::net::IpAddr::V4((u32::from(v4) | 1).into()),
        std::net::IpAddr::V6(v6) if prefix < 127 => {
            std::net::IpAddr::V6((u128::from(v6) | 1).into())
        }
        _ => net,
    }
}

impl<'a> Tree<'a> {
    /// The first directive named `name` in effect at `index` (its own, or
    /// the nearest ancestor's).
    pub fn effective_entry(&self, index: usize, name: &str) -> Option<Entry<'a>> {
        let names = [name];
        let node = match INHERITED.iter().position(|known| *known == name) {
            Some(slot) => self.inherited[slot]
                .get_or_init(|| self.holders(&names))
                .get(index),
            None => self.effective(index, &names),
        }?;
        self.own(node, &names).last().copied()
    }

    /// The `auth_basic` (not `off`) or `auth_request` (not `off`) in effect.
    pub fn auth_in_effect(&self, index: usize) -> Option<Entry<'a>> {
        ["auth_basic", "auth_request"].into_iter().find_map(|name| {
            self.effective_entry(index, name)
                .filter(|entry| entry.arg(0).is_some_and(|value| value != "off"))
        })
    }

    /// The `satisfy any` in effect.
    pub fn satisfy_any(&self, index: usize) -> Option<Entry<'a>> {
        self.effective_entry(index, "satisfy")
            .filter(|entry| entry.arg(0).is_some_and(|v| v.eq_ignore_ascii_case("any")))
    }

    /// Whether requests are decided with this block's configuration: a
    /// `server` without a `location /`, a `location`, `limit_except` or
    /// `if` (and a fragment root in such a context).
    pub fn serves(&self, index: usize) -> bool {
        match self.kind(index).as_ref() {
            "location" | "limit_except" | "if" => true,
            "server" => !self.nodes.get(index).is_some_and(|node| {
                node.entries.iter().any(|entry| {
                    entry.is("location") && entry.args().iter().map(AsRef::as_ref).eq(["/"])
                })
            }),
            _ => false,
        }
    }
}

/// How a `location` matches.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LocationKind {
    Prefix,
    /// `^~`
    PrefixNoRegex,
    /// `=`
    Exact,
    /// `~` or `~*`
    Regex,
    /// `@name`
    Named,
}

impl LocationKind {
    /// The group a location stands in within [`Node::locations`]: exact,
    /// prefix (either kind), regex, named.
    pub fn selection_rank(self) -> u8 {
        match self {
            LocationKind::Exact => 0,
            LocationKind::Prefix | LocationKind::PrefixNoRegex => 1,
            LocationKind::Regex => 2,
            LocationKind::Named => 3,
        }
    }
}

impl<'a> Entry<'a> {
    /// A `location`'s matcher and its argument.
    pub fn location(&self) -> Option<(LocationKind, Cow<'a, str>)> {
        if !self.is("location") {
            return None;
        }
        // Read word by word: every rule asks every location for this.
        let words = &self.directive.args;
        let first = words.first()?.value(self.text);
        let Some(second) = words.get(1).map(|word| word.value(self.text)) else {
            // `location =/x` and friends are rare; a bare word is a prefix.
            let kind = if first.starts_with('@') {
                LocationKind::Named
            } else {
                LocationKind::Prefix
            };
            return Some((kind, first));
        };
        let kind = match first.as_ref() {
            "=" => LocationKind::Exact,
            "^~" => LocationKind::PrefixNoRegex,
            "~" | "~*" => LocationKind::Regex,
            _ => return None,
        };
        Some((kind, second))
    }

    /// Whether this is a `location ~* …`.
    pub fn is_case_insensitive_regex(&self) -> bool {
        self.is("location") && self.arg(0).is_some_and(|modifier| modifier == "~*")
    }
}

impl Tree<'_> {
    /// The location nginx picks for `path` among the locations of `node`
    /// (recursively), by nginx's precedence: `=`, then the longest prefix
    /// (whose nested locations are searched first), which wins outright
    /// when it is `^~`; else the first regex that `regex_matches` says
    /// matches, else that prefix. `regex_matches` answers for patterns
    /// lint403 cannot run.
    pub fn select(
        &self,
        node: usize,
        path: &str,
        regex_matches: &dyn Fn(&Location<'_>) -> bool,
    ) -> Option<usize> {
        let locations = self.nodes.get(node)?.locations.as_slice();
        let (exact, rest) = locations
            .split_at(locations.partition_point(|location| location.kind.selection_rank() == 0));
        let (prefixes, rest) =
            rest.split_at(rest.partition_point(|location| location.kind.selection_rank() == 1));
        if let Some(exact) = exact.iter().find(|location| location.pattern == path) {
            return Some(exact.node);
        }
        // Longest first: the first that matches is the longest. Another
        // that matches with the same length has the same text (a duplicate
        // nginx refuses); the one read last is taken, as everywhere else.
        let best = prefixes
            .iter()
            .position(|location| path.starts_with(location.pattern.as_ref()))
            .and_then(|first| {
                let run = prefixes.get(first..)?;
                let length = run.first()?.pattern.len();
                run.iter()
                    .take_while(|location| location.pattern.len() == length)
                    .filter(|location| path.starts_with(location.pattern.as_ref()))
                    .last()
            });
        if let Some(best) = best {
            if let Some(nested) = self.select(best.node, path, regex_matches) {
                return Some(nested);
            }
            if best.kind == LocationKind::PrefixNoRegex {
                return Some(best.node);
            }
        }
        rest.iter()
            .take_while(|location| location.kind == LocationKind::Regex)
            .find(|location| regex_matches(location))
            .or(best)
            .map(|location| location.node)
    }
}

impl<'a> Tree<'a> {
    /// The `valid_referers` in effect at `index` (server and location
    /// only: the search stops at the enclosing `server`). `Err(())` when
    /// the search reached the top of a fragment without a `server`, so the
    /// includer decides.
    #[allow(clippy::result_unit_err)]
    pub fn valid_referers(&self, index: usize) -> Result<Option<Entry<'a>>, ()> {
        for i in self.ancestors(index) {
            if let Some(entry) = self.own(i, &["valid_referers"]).last() {
                return Ok(Some(*entry));
            }
            if self.kind(i) == "server" && self.node(i).block.is_some() {
                return Ok(None);
            }
        }
        if self.fragment && !matches!(self.root_context, lint403_nginx::Context::Http) {
            return Err(());
        }
        Ok(None)
    }

    /// `if` blocks whose condition reads `$invalid_referer` (not negated),
    /// with the `return 403` in their body when there is one.
    pub fn invalid_referer_ifs(&self) -> Vec<(usize, Entry<'a>, Option<Entry<'a>>)> {
        let mut found = Vec::new();
        for (index, node) in self.nodes.iter().enumerate() {
            for entry in &node.entries {
                if !entry.is("if") {
                    continue;
                }
                let condition = entry.args().join(" ");
                if !condition.contains("$invalid_referer") || condition.contains('!') {
                    continue;
                }
                let refusal = entry.child().and_then(|child| {
                    self.own(child, &["return"])
                        .find(|r| r.arg(0).is_some_and(|code| code == "403"))
                        .copied()
                });
                found.push((index, *entry, refusal));
            }
        }
        found
    }
}

/// An nginx text loaded as the file `path` (unit tests).
#[cfg(test)]
pub(crate) fn load_text(path: &str, text: &str) -> (SourceMap, LoadedConfig) {
    let mut sources = SourceMap::new();
    let file = sources.add(lint403_core::SourceFile::from_bytes(
        path,
        text.as_bytes().to_vec(),
    ));
    let config = lint403_nginx::load(&mut sources, file, &lint403_core::CheckOptions::default());
    (sources, config)
}

/// Runs one rule's check over an nginx text (unit tests).
#[cfg(test)]
pub(crate) fn run_check(
    check: fn(&crate::RuleContext<'_>, &mut Vec<lint403_core::Diagnostic>),
    text: &str,
) -> Vec<lint403_core::Diagnostic> {
    let (sources, config) = load_text("/tmp/lint403-unit/site.conf", text);
    let context = crate::RuleContext::new(&sources, crate::Loaded::Nginx(&config));
    let mut out = Vec::new();
    check(&context, &mut out);
    out
}

/// The regex `location` patterns of a tree (`~*` case-insensitively),
/// each compiled the first time a rule tests or asks about it — with
/// `regex`'s engine, else with `fancy-regex` — by the process-wide cache
/// of [`lint403_core::pattern`], which the model and the tracer share. A
/// config of a thousand sites has thousands of distinct patterns; building
/// them all up front cost more than every rule's checks together. A
/// pattern neither engine can run never matches in this view and is
/// listed by [`LocationRegexes::unsupported`], so a rule built on it stays
/// quiet and P005 says why, rather than guess.
pub struct LocationRegexes {
    /// Slots in [`LocationRegexes::engines`] by pattern text, indexed by
    /// the case-insensitive flag: the same text under `~` and `~*` is two
    /// patterns.
    by_case: [std::collections::HashMap<String, usize, lint403_core::hashing::FastHash>; 2],
    /// Each distinct pattern with its engine, compiled on first use. Each
    /// slot keeps its engine, so a test does not take the process-wide
    /// cache's lock.
    engines: Vec<Slot>,
    /// The slot of each location block's pattern, by its node (`u32::MAX`
    /// for other nodes): selection asks it of every regex location it
    /// passes, without hashing the pattern.
    by_node: Vec<u32>,
}

struct Slot {
    pattern: String,
    case_insensitive: bool,
    engine: std::sync::OnceLock<std::sync::Arc<lint403_core::pattern::Engine>>,
}

impl LocationRegexes {
    pub fn of(tree: &Tree<'_>) -> LocationRegexes {
        let mut regexes = LocationRegexes {
            by_case: Default::default(),
            engines: Vec::new(),
            by_node: vec![u32::MAX; tree.nodes.len()],
        };
        // Every entry, not only the blocks selection sees: P005 asks about
        // a location whose body the parser left raw too.
        for entry in tree.nodes.iter().flat_map(|node| &node.entries) {
            let Some((LocationKind::Regex, pattern)) = entry.location() else {
                continue;
            };
            let case_insensitive = entry.is_case_insensitive_regex();
            let patterns = &mut regexes.by_case[usize::from(case_insensitive)];
            let slot = if let Some(&slot) = patterns.get(pattern.as_ref()) {
                slot
            } else {
                let slot = regexes.engines.len();
                patterns.insert(pattern.to_string(), slot);
                regexes.engines.push(Slot {
                    pattern: pattern.into_owned(),
                    case_insensitive,
                    engine: std::sync::OnceLock::new(),
                });
                slot
            };
            if let Some(node) = entry.child().and_then(|node| regexes.by_node.get_mut(node)) {
                *node = u32::try_from(slot).unwrap_or(u32::MAX);
            }
        }
        regexes
    }

    /// `~*` is PCRE's caseless flag, compiled as the model compiles it
    /// (the same engine as a `(?i)` prefix).
    fn compiled(
        &self,
        pattern: &str,
        case_insensitive: bool,
    ) -> Option<&lint403_core::pattern::Engine> {
        let slot = *self.by_case[usize::from(case_insensitive)].get(pattern)?;
        self.engine(slot)
    }

    fn engine(&self, slot: usize) -> Option<&lint403_core::pattern::Engine> {
        let slot = self.engines.get(slot)?;
        Some(
            slot.engine.get_or_init(|| {
                lint403_core::pattern::compiled(&slot.pattern, slot.case_insensitive)
            }),
        )
    }

    /// Whether the location pattern `pattern` (of a `~*` location when
    /// `case_insensitive`) matches `path`.
    pub fn matches(&self, pattern: &str, case_insensitive: bool, path: &str) -> bool {
        // A backtracking limit hit counts as no match, as for an
        // unsupported pattern.
        self.compiled(pattern, case_insensitive)
            .and_then(|engine| engine.is_match(path))
            .unwrap_or(false)
    }

    /// Whether the regex `location` matches `path`: [`Tree::select`]'s
    /// question.
    pub fn location_matches(&self, location: &Location<'_>, path: &str) -> bool {
        let slot = self.by_node.get(location.node).copied().unwrap_or(u32::MAX);
        if slot == u32::MAX {
            return self.matches(&location.pattern, location.case_insensitive, path);
        }
        self.engine(slot as usize)
            .and_then(|engine| engine.is_match(path))
            .unwrap_or(false)
    }

    /// Why lint403 cannot run `pattern`, if it cannot.
    pub fn unsupported(&self, pattern: &str, case_insensitive: bool) -> Option<&str> {
        self.compiled(pattern, case_insensitive)?.unsupported()
    }
}

/// [`LocationRegexes::location_matches`] for a fixed list of at most 64
/// paths, each distinct pattern asked once per path: a rule that probes
/// every server with the same paths meets the same patterns (`\.php$`)
/// in thousands of servers.
pub struct FixedPathMatches<'r> {
    regexes: &'r LocationRegexes,
    paths: &'r [&'r str],
    /// Per pattern slot: which paths were asked, and which matched.
    asked: Vec<std::cell::Cell<u64>>,
    matched: Vec<std::cell::Cell<u64>>,
}

impl<'r> FixedPathMatches<'r> {
    pub fn new(regexes: &'r LocationRegexes, paths: &'r [&'r str]) -> FixedPathMatches<'r> {
        let slots = regexes.engines.len();
        FixedPathMatches {
            regexes,
            paths,
            asked: vec![std::cell::Cell::new(0); slots],
            matched: vec![std::cell::Cell::new(0); slots],
        }
    }

    /// Whether the regex `location` matches the path at `index` of the list.
    pub fn location_matches(&self, location: &Location<'_>, index: usize) -> bool {
        let path = self.paths.get(index).copied().unwrap_or_default();
        let slot = self.regexes.by_node.get(location.node).copied();
        let (Some(asked), Some(matched), true) = (
            slot.and_then(|slot| self.asked.get(slot as usize)),
            slot.and_then(|slot| self.matched.get(slot as usize)),
            index < 64,
        ) else {
            return self.regexes.location_matches(location, path);
        };
        let bit = 1u64 << index;
        if asked.get() & bit == 0 {
            asked.set(asked.get() | bit);
            if self.regexes.location_matches(location, path) {
                matched.set(matched.get() | bit);
            }
        }
        matched.get() & bit != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large configuration's lists hold hundreds of thousands of
    /// entries, each kept for the whole check.
    #[test]
    fn an_acl_entry_stays_small() {
        assert!(std::mem::size_of::<Subject>() <= 18);
        assert!(std::mem::size_of::<AclEntry<'_>>() <= 48);
    }

    /// A large configuration's tree has hundreds of thousands of nodes
    /// (303,000 at the benchmark's scale 100), each kept for the whole
    /// check: 160 bytes before the parent became a `u32`, the name bits
    /// two `u64`s and the name index and access list boxed slices.
    #[test]
    fn a_node_stays_small() {
        assert!(std::mem::size_of::<Node<'_>>() <= 136);
    }

    #[test]
    fn subjects_parse_with_their_prefix() {
        let net = |text: &str| match Subject::parse(text) {
            Some(Subject::Net(address, prefix)) => Some((address.to_string(), prefix)),
            _ => None,
        };
        assert_eq!(net("10.1.2.3/8"), Some(("10.0.0.0".to_string(), 8)));
        assert_eq!(net("10.1.2.3"), Some(("10.1.2.3".to_string(), 32)));
        assert_eq!(
            net("2001:db8::1/128"),
            Some(("2001:db8::1".to_string(), 128))
        );
        assert_eq!(net("::/0"), Some(("::".to_string(), 0)));
        assert_eq!(net("10.0.0.0/33"), None);
        assert_eq!(net("10.0.0.0/300"), None);
        assert_eq!(net("2001:db8::/129"), None);
    }
    use std::net::IpAddr;

    fn subject(text: &str) -> Subject {
        Subject::parse(text).unwrap_or(Subject::Unix)
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn subjects() {
        assert!(subject("10.1.2.3").covered_by(subject("10.0.0.0/8")));
        assert!(!subject("10.0.0.0/8").covered_by(subject("10.1.0.0/16")));
        assert!(subject("2001:db8::1").covered_by(subject("all")));
        assert!(!subject("2001:db8::1").covered_by(subject("0.0.0.0/0")));
        assert!(subject("unix:").covered_by(subject("all")));
        // nginx masks host bits: 10.1.2.3/8 is 10.0.0.0/8.
        assert_eq!(subject("10.1.2.3/8"), subject("10.0.0.0/8"));
        // An IPv4-mapped IPv6 client is checked against the IPv4 entries.
        assert!(subject("10.0.0.0/8").matches(ip("::ffff:10.1.2.3")));
        assert!(!subject("10.0.0.0/8").matches(ip("2001:db8::1")));
        assert!(Subject::parse("example.com").is_none());
        assert!(Subject::parse("10.0.0.0/33").is_none());
        assert!(subject("::/0").is_everyone());
    }

    fn selected(text: &str, path: &str, dotfile: bool) -> Option<String> {
        let (sources, config) = load_text("/tmp/lint403-unit/site.conf", text);
        let tree = Tree::build(&config, &sources);
        let server = (0..tree.nodes.len()).find(|&i| tree.server_block_of(i) == Some(i))?;
        let matches = move |location: &Location<'_>| dotfile && location.pattern.contains("\\.");
        let node = tree.select(server, path, &matches)?;
        tree.node(node).block.map(|block| block.args().join(" "))
    }

    #[test]
    fn location_precedence() {
        let text = "server {\n location / { }\n location /.well-known/ { }\n location ~ /\\. { deny all; }\n}\n";
        assert_eq!(
            selected(text, "/.well-known/acme-challenge/t", true).as_deref(),
            Some("~ /\\.")
        );
        assert_eq!(
            selected(text, "/.well-known/acme-challenge/t", false).as_deref(),
            Some("/.well-known/")
        );
        let text = "server {\n location ^~ /.well-known/ { }\n location ~ /\\. { deny all; }\n}\n";
        assert_eq!(
            selected(text, "/.well-known/acme-challenge/t", true).as_deref(),
            Some("^~ /.well-known/")
        );
        let text = "server {\n location = /x { }\n location /x { }\n location / { location ~ /\\. { } }\n}\n";
        assert_eq!(selected(text, "/x", true).as_deref(), Some("= /x"));
        assert_eq!(selected(text, "/a/.b", true).as_deref(), Some("~ /\\."));
        assert_eq!(selected(text, "/a/b", false).as_deref(), Some("/"));
    }

    #[test]
    fn inheritance() {
        let text = "http {\n allow 10.0.0.0/8;\n deny all;\n server {\n  location /a/ { }\n  location /b/ { deny 10.9.9.9; }\n }\n}\n";
        let (sources, config) = load_text("/tmp/lint403-unit/nginx.conf", text);
        let tree = Tree::build(&config, &sources);
        let location = |path: &str| {
            (0..tree.nodes.len()).find(|&i| {
                tree.node(i)
                    .block
                    .is_some_and(|b| b.is("location") && b.arg(0).as_deref() == Some(path))
            })
        };
        let (Some(a), Some(b)) = (location("/a/"), location("/b/")) else {
            panic!("locations not found");
        };
        let http = tree.effective_acl(a);
        assert!(http.is_some_and(|n| tree.kind(n) == "http"));
        assert_eq!(tree.effective_acl(b), Some(b));
        assert_eq!(tree.acl(b).len(), 1);
        assert_eq!(tree.sample_path(b), "/b/");
    }

    /// The kept answers are the answers: every location of a few servers
    /// sharing patterns, every path, asked twice.
    #[test]
    fn fixed_path_answers_agree_with_asking() {
        let server = "server {\n location ~ \\.php$ { }\n location ~* \\.(?:JPG|png)$ { }\n location ~ /\\.(?!well-known) { }\n location /x/ { location ~ ^/x/y { } }\n}\n";
        let text = format!("http {{\n{server}{server}}}\n");
        let (sources, config) = load_text("/tmp/lint403-unit/nginx.conf", &text);
        let tree = Tree::build(&config, &sources);
        let regexes = LocationRegexes::of(&tree);
        let paths = ["/a.php", "/b.jpg", "/.env", "/.well-known/x", "/x/y", "/"];
        let answers = FixedPathMatches::new(&regexes, &paths);
        let mut regex_locations = 0;
        for _ in 0..2 {
            for node in &tree.nodes {
                for location in &node.locations {
                    if location.kind != LocationKind::Regex {
                        continue;
                    }
                    regex_locations += 1;
                    for (index, path) in paths.iter().enumerate() {
                        assert_eq!(
                            answers.location_matches(location, index),
                            regexes.location_matches(location, path),
                            "{} on {path}",
                            location.pattern
                        );
                    }
                }
            }
        }
        assert_eq!(regex_locations, 16);
    }

    /// [`Tree::select`] as it was written over the locations in reading
    /// order (read back from the node's entries): the exact match, else the
    /// longest prefix (the last of equal ones) and its nested locations,
    /// else the first regex that matches, else that prefix.
    fn select_in_reading_order(
        tree: &Tree<'_>,
        node: usize,
        path: &str,
        regex_matches: &dyn Fn(&Location<'_>) -> bool,
    ) -> Option<usize> {
        let locations: Vec<Location<'_>> = tree
            .node(node)
            .entries
            .iter()
            .filter_map(|entry| {
                let (kind, pattern) = entry.location()?;
                Some(Location {
                    kind,
                    pattern,
                    case_insensitive: entry.is_case_insensitive_regex(),
                    node: entry.child()?,
                })
            })
            .collect();
        if let Some(exact) = locations
            .iter()
            .find(|location| location.kind == LocationKind::Exact && location.pattern == path)
        {
            return Some(exact.node);
        }
        let best = locations
            .iter()
            .filter(|location| {
                matches!(
                    location.kind,
                    LocationKind::Prefix | LocationKind::PrefixNoRegex
                ) && path.starts_with(location.pattern.as_ref())
            })
            .max_by_key(|location| location.pattern.len());
        if let Some(best) = best {
            if let Some(nested) = select_in_reading_order(tree, best.node, path, regex_matches) {
                return Some(nested);
            }
            if best.kind == LocationKind::PrefixNoRegex {
                return Some(best.node);
            }
        }
        locations
            .iter()
            .find(|location| location.kind == LocationKind::Regex && regex_matches(location))
            .or(best)
            .map(|location| location.node)
    }

    /// The grouped, longest-first order gives the choice a scan of the
    /// locations in reading order gives: every block of configurations
    /// with exact, prefix, `^~`, regex and named locations in every order,
    /// nested, with duplicates, for paths that hit each of them.
    #[test]
    fn selection_in_groups_is_selection_in_reading_order() {
        let servers = [
            "location / { } location = /a { } location /a { } location ~ \\.php$ { } location @x { }",
            "location @x { } location ~ \\.php$ { } location /a/ { location ~ ^/a/b { } location /a/b/c { } } location = /a/ { } location / { }",
            "location ^~ /img/ { location ~* \\.png$ { } } location ~* \\.(png|jpg)$ { } location /img/x/ { } location /im { }",
            "location /d/ { } location /d/ { return 403; } location ~ /\\. { } location /d { } location ^~ /d/e/ { }",
            "location ~ ^/x { } location ~ ^/x/y { } location = / { } location /x/ { location = /x/ { } location /x/y/ { location ~ z$ { } } }",
            "location /b { } location /a { } location /ab { } location ~ b$ { } location /abc/ { }",
        ];
        let paths = [
            "/",
            "/a",
            "/a/",
            "/a/b",
            "/a/b/c",
            "/a/b/c/d.php",
            "/a.php",
            "/img/x.png",
            "/img/x/y.jpg",
            "/im",
            "/image.png",
            "/d/",
            "/d/e/f",
            "/d/.env",
            "/dx",
            "/x",
            "/x/",
            "/x/y",
            "/x/y/z",
            "/x/y/zz/",
            "/ab",
            "/abc/",
            "/abc/b",
            "/b",
            "/zzz",
        ];
        for server in servers {
            let text = format!(
                "http {{ server {{ {server} }} server {{ location /q {{ }} {server} }} }}\n"
            );
            let (sources, config) = load_text("/tmp/lint403-unit/nginx.conf", &text);
            let tree = Tree::build(&config, &sources);
            let regexes = LocationRegexes::of(&tree);
            let mut chosen = std::collections::HashSet::new();
            for node in 0..tree.nodes.len() {
                for path in paths {
                    let matches =
                        |location: &Location<'_>| regexes.location_matches(location, path);
                    let grouped = tree.select(node, path, &matches);
                    assert_eq!(
                        grouped,
                        select_in_reading_order(&tree, node, path, &matches),
                        "{path} in node {node} of {server}"
                    );
                    chosen.extend(grouped);
                }
            }
            // The paths reach many locations of each configuration, not
            // only the servers themselves.
            assert!(chosen.len() >= 5, "{server}: {chosen:?}");
        }
    }
}
