// AlluxioBlockClient writes a block to a worker and reads it back through
// Alluxio 2.9.3's own client classes (GrpcDataWriter behind a
// BlockOutStream, GrpcDataReader), as a MUST_CACHE write and a read of a
// cached block do. It prints "EQUAL <bytes>" when the block read back is
// the one written. Arguments: worker host, RPC port, block id, length.
import alluxio.client.block.stream.BlockOutStream;
import alluxio.client.block.stream.DataReader;
import alluxio.client.block.stream.GrpcDataReader;
import alluxio.client.block.stream.GrpcDataWriter;
import alluxio.client.file.FileSystemContext;
import alluxio.client.file.options.OutStreamOptions;
import alluxio.conf.Configuration;
import alluxio.grpc.ReadRequest;
import alluxio.grpc.RequestType;
import alluxio.network.protocol.databuffer.DataBuffer;
import alluxio.proto.dataserver.Protocol.OpenUfsBlockOptions;
import alluxio.wire.WorkerNetAddress;
import java.util.Arrays;
import java.util.Random;

public class AlluxioBlockClient {
  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    long id = Long.parseLong(args[2]);
    int length = Integer.parseInt(args[3]);
    byte[] data = new byte[length];
    new Random(id).nextBytes(data);
    FileSystemContext context = FileSystemContext.create(Configuration.global());
    WorkerNetAddress worker = new WorkerNetAddress().setHost(host).setRpcPort(port).setDataPort(port);
    OutStreamOptions options = OutStreamOptions.defaults(context);
    GrpcDataWriter writer = GrpcDataWriter.create(context, worker, id, length, RequestType.ALLUXIO_BLOCK, options);
    try (BlockOutStream out = new BlockOutStream(writer, length, worker)) {
      out.write(data);
    }
    ReadRequest.Builder read = ReadRequest.newBuilder().setBlockId(id).setPromote(false)
        .setOpenUfsBlockOptions(OpenUfsBlockOptions.newBuilder().build());
    byte[] got = new byte[length];
    int off = 0;
    try (DataReader reader = new GrpcDataReader.Factory(context, worker, read).create(0, length)) {
      while (off < length) {
        DataBuffer chunk = reader.readChunk();
        if (chunk == null) {
          break;
        }
        int n = chunk.readableBytes();
        chunk.readBytes(got, off, n);
        chunk.release();
        off += n;
      }
    }
    System.out.println((Arrays.equals(data, got) ? "EQUAL " : "DIFFERENT ") + off);
    System.exit(0);
  }
}
