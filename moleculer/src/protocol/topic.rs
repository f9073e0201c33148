//! Topic names (reference §1.1, §1.9): `MOL[-<ns>].<TYPE>[.<nodeID>]`, and with the
//! transporter's built-in balancer `MOL[-<ns>].REQB.<action>` and
//! `MOL[-<ns>].EVENTB.<group>.<event>` (`src/transporters/base.js`).

use super::packet::{Packet, PacketType};

/// Builds and parses the topics of one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Topics {
    prefix: String,
    separator: char,
}

/// A parsed topic: the packet type and where it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Topic<'a> {
    /// The packet type; `REQB` topics carry [`PacketType::Request`] and `EVENTB` topics
    /// [`PacketType::Event`].
    pub(crate) packet_type: PacketType,
    /// The part after the type.
    pub(crate) target: TopicTarget<'a>,
}

/// Where a packet was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TopicTarget<'a> {
    /// To every node (`MOL.DISCOVER`, `MOL.INFO`, `MOL.HEARTBEAT`…).
    Broadcast,
    /// To one node (`MOL.REQ.<nodeID>`). The nodeID may itself contain dots.
    Node(&'a str),
    /// A balanced request (`MOL.REQB.<action>`).
    Action(&'a str),
    /// A balanced event (`MOL.EVENTB.<group>.<event>`). The group is the segment up to the
    /// first dot, so a group name that contains dots cannot be told apart from the event
    /// name; Node's topics have the same ambiguity.
    Group {
        /// The event group.
        group: &'a str,
        /// The event name.
        event: &'a str,
    },
}

impl Topics {
    /// The topics of `namespace`: prefix `MOL`, or `MOL-<namespace>` when it is not empty.
    pub(crate) fn new(namespace: &str) -> Topics {
        let prefix = if namespace.is_empty() {
            "MOL".to_owned()
        } else {
            format!("MOL-{namespace}")
        };
        Topics {
            prefix,
            separator: '.',
        }
    }

    /// `<prefix>.<TYPE>`, or `<prefix>.<TYPE>.<nodeID>` when targeted (Node's
    /// `getTopicName`; an empty nodeID counts as none).
    pub(crate) fn topic(&self, ty: PacketType, node_id: Option<&str>) -> String {
        let mut sep = [0; 4];
        let sep: &str = self.separator.encode_utf8(&mut sep);
        match node_id.filter(|id| !id.is_empty()) {
            Some(id) => join(&[&self.prefix, sep, ty.as_str(), sep, id]),
            None => join(&[&self.prefix, sep, ty.as_str()]),
        }
    }

    /// `<prefix>.REQB.<action>`.
    pub(crate) fn balanced_request(&self, action: &str) -> String {
        join(&[&self.prefix, ".REQB.", action])
    }

    /// `<prefix>.EVENTB.<group>.<event>`.
    pub(crate) fn balanced_event(&self, group: &str, event: &str) -> String {
        join(&[&self.prefix, ".EVENTB.", group, ".", event])
    }

    /// The topic Node publishes `packet` to (`prepublish`): targeted when `target` is
    /// given; otherwise `REQB.<action>` for a request, `EVENTB.<group>.<event>` for an event
    /// with groups (its first group: Node publishes a copy per group, each with
    /// `groups: [group]`, so split multi-group events before), and the broadcast topic for
    /// everything else.
    pub(crate) fn for_packet(&self, packet: &Packet, target: Option<&str>) -> String {
        if let Some(target) = target.filter(|t| !t.is_empty()) {
            return self.topic(packet.packet_type(), Some(target));
        }
        match packet {
            Packet::Request(req) => self.balanced_request(&req.action),
            Packet::Event(event) => match event.groups.as_deref() {
                Some([group, ..]) => self.balanced_event(group, &event.event),
                _ => self.topic(PacketType::Event, None),
            },
            other => self.topic(other.packet_type(), None),
        }
    }

    /// The topics a node subscribes to after connecting, in Node's order
    /// (`transit.js` `makeSubscriptions`): `EVENT.<id>`, `REQ.<id>`, `RES.<id>`, `DISCOVER`,
    /// `DISCOVER.<id>`, `INFO`, `INFO.<id>`, `DISCONNECT`, `HEARTBEAT`, `PING`, `PING.<id>`,
    /// `PONG.<id>`.
    pub(crate) fn subscriptions(&self, node_id: &str) -> Vec<(PacketType, String)> {
        use PacketType as T;
        let own = Some(node_id);
        [
            (T::Event, own),
            (T::Request, own),
            (T::Response, own),
            (T::Discover, None),
            (T::Discover, own),
            (T::Info, None),
            (T::Info, own),
            (T::Disconnect, None),
            (T::Heartbeat, None),
            (T::Ping, None),
            (T::Ping, own),
            (T::Pong, own),
        ]
        .into_iter()
        .map(|(ty, id)| (ty, self.topic(ty, id)))
        .collect()
    }

    /// Parses a topic of this namespace; `None` for a topic of another namespace, an unknown
    /// type, or an empty target.
    pub(crate) fn parse<'a>(&self, subject: &'a str) -> Option<Topic<'a>> {
        let rest = subject.strip_prefix(self.prefix.as_str())?;
        if let Some(rest) = rest.strip_prefix('.') {
            if let Some(action) = rest.strip_prefix("REQB.") {
                return (!action.is_empty()).then_some(Topic {
                    packet_type: PacketType::Request,
                    target: TopicTarget::Action(action),
                });
            }
            if let Some(rest) = rest.strip_prefix("EVENTB.") {
                let (group, event) = rest.split_once('.')?;
                return (!group.is_empty() && !event.is_empty()).then_some(Topic {
                    packet_type: PacketType::Event,
                    target: TopicTarget::Group { group, event },
                });
            }
        }
        let rest = rest.strip_prefix(self.separator)?;
        let (name, target) = match rest.split_once(self.separator) {
            Some((name, node)) if !node.is_empty() => (name, TopicTarget::Node(node)),
            Some(_) => return None,
            None => (rest, TopicTarget::Broadcast),
        };
        Some(Topic {
            packet_type: PacketType::from_name(name)?,
            target,
        })
    }
}

/// The parts in one string, allocated once at its exact size (topics are built per packet).
fn join(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::packet::{Event, Request};

    #[test]
    fn builds_topics_with_and_without_namespace() {
        let plain = Topics::new("");
        assert_eq!(plain.topic(PacketType::Discover, None), "MOL.DISCOVER");
        assert_eq!(plain.topic(PacketType::Info, Some("")), "MOL.INFO");
        assert_eq!(plain.topic(PacketType::Pong, Some("n-1")), "MOL.PONG.n-1");
        assert_eq!(
            plain.balanced_request("v2.math.add"),
            "MOL.REQB.v2.math.add"
        );
        assert_eq!(
            plain.balanced_event("users", "user.created"),
            "MOL.EVENTB.users.user.created"
        );

        let dev = Topics::new("dev");
        assert_eq!(
            dev.topic(PacketType::Request, Some("node-1")),
            "MOL-dev.REQ.node-1"
        );
        assert_eq!(
            dev.topic(PacketType::GossipHello, Some("a")),
            "MOL-dev.GOSSIP_HELLO.a"
        );
        assert_eq!(dev.balanced_request("math.add"), "MOL-dev.REQB.math.add");
    }

    #[test]
    fn parses_every_type_both_ways() {
        for ns in ["", "dev", "my.ns"] {
            let topics = Topics::new(ns);
            for ty in PacketType::ALL {
                let broadcast = topics.topic(ty, None);
                assert_eq!(
                    topics.parse(&broadcast),
                    Some(Topic {
                        packet_type: ty,
                        target: TopicTarget::Broadcast
                    })
                );
                let targeted = topics.topic(ty, Some("host.example.com-42"));
                assert_eq!(
                    topics.parse(&targeted),
                    Some(Topic {
                        packet_type: ty,
                        target: TopicTarget::Node("host.example.com-42")
                    })
                );
            }
        }
    }

    #[test]
    fn parses_balanced_topics() {
        let topics = Topics::new("dev");
        let req = topics.parse("MOL-dev.REQB.v2.greeter.hello");
        assert_eq!(
            req.map(|t| (t.packet_type, t.target)),
            Some((PacketType::Request, TopicTarget::Action("v2.greeter.hello")))
        );
        let event = topics.parse("MOL-dev.EVENTB.custom-group.test.grouped");
        assert_eq!(
            event.map(|t| (t.packet_type, t.target)),
            Some((
                PacketType::Event,
                TopicTarget::Group {
                    group: "custom-group",
                    event: "test.grouped"
                }
            ))
        );
    }

    #[test]
    fn rejects_foreign_and_malformed_topics() {
        let plain = Topics::new("");
        let dev = Topics::new("dev");
        assert_eq!(plain.parse("MOL-dev.REQ.node-1"), None);
        assert_eq!(dev.parse("MOL.REQ.node-1"), None);
        assert_eq!(dev.parse("MOL-devx.REQ.node-1"), None);
        assert_eq!(plain.parse("MOL"), None);
        assert_eq!(plain.parse("MOL."), None);
        assert_eq!(plain.parse("MOL.REQ."), None);
        assert_eq!(plain.parse("MOL.NOPE"), None);
        assert_eq!(plain.parse("MOL.req.node"), None);
        assert_eq!(plain.parse("MOL.REQB."), None);
        assert_eq!(plain.parse("MOL.EVENTB.group"), None);
        assert_eq!(plain.parse("MOL.EVENTB..event"), None);
        assert_eq!(plain.parse("MOLX.REQ.a"), None);
        assert_eq!(plain.parse(""), None);
    }

    #[test]
    fn topic_for_packet() {
        let topics = Topics::new("");
        let req = Packet::Request(Request::new("1", "math.add", json!({})));
        assert_eq!(topics.for_packet(&req, Some("node-a")), "MOL.REQ.node-a");
        assert_eq!(topics.for_packet(&req, None), "MOL.REQB.math.add");

        let mut event = Event::new("2", "user.created", json!(null));
        assert_eq!(
            topics.for_packet(&Packet::Event(event.clone()), None),
            "MOL.EVENT"
        );
        event.groups = Some(vec!["users".into(), "mail".into()]);
        assert_eq!(
            topics.for_packet(&Packet::Event(event), None),
            "MOL.EVENTB.users.user.created"
        );

        let subs = topics.subscriptions("me");
        let names: Vec<&str> = subs.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            names,
            [
                "MOL.EVENT.me",
                "MOL.REQ.me",
                "MOL.RES.me",
                "MOL.DISCOVER",
                "MOL.DISCOVER.me",
                "MOL.INFO",
                "MOL.INFO.me",
                "MOL.DISCONNECT",
                "MOL.HEARTBEAT",
                "MOL.PING",
                "MOL.PING.me",
                "MOL.PONG.me"
            ]
        );
    }
}
