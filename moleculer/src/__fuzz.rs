//! Entry points for the fuzz targets (`fuzz/` in the repository): the parsers of bytes that
//! come from the network, as the transporters call them. Not public API.

use bytes::BytesMut;

/// Cuts `data` into TCP frames as a connection's reading task does: how many whole frames it
/// holds, or why the connection would be closed.
pub fn tcp_frames(data: &[u8], max_packet_size: usize) -> Result<usize, String> {
    let mut buf = BytesMut::from(data);
    let mut frames = 0;
    while let Some((_ty, _body)) =
        crate::transporter::tcp::next_frame(&mut buf, max_packet_size).map_err(|e| e.to_string())?
    {
        frames += 1;
    }
    Ok(frames)
}

/// Reads a UDP discovery datagram of `namespace`: the nodeID and port it announces.
pub fn udp_datagram(data: &[u8], namespace: &str) -> Option<(String, u16)> {
    crate::transporter::tcp::parse_datagram(data, namespace)
        .map(|(node_id, port)| (node_id.to_owned(), port))
}
