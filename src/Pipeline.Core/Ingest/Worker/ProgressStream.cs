using Pipeline.Parsing;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Pass-through over an object's body that calls <paramref name="progressed"/> after every read that returned bytes:
/// a long read that is moving is progress for <see cref="WorkerHealth"/>, a read that hangs is not. The body is read
/// in 128 KB blocks, so that is one call per block. Disposing it leaves the body to its owner.
/// </summary>
internal sealed class ProgressStream(Stream inner, Action progressed) : ReadOnlyStream
{
    public override int Read(Span<byte> buffer) => Note(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Note(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    private int Note(int n)
    {
        if (n > 0)
        {
            progressed();
        }

        return n;
    }
}
