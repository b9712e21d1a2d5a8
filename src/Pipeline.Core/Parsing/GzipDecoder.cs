using System.Buffers;
using System.IO.Compression;

namespace Pipeline.Parsing;

/// <summary>
/// Read-only stream of the decompressed bytes of gzip data: members one after another, as <c>gzip -d</c> and
/// <c>GZipStream</c> read them, with the same checks (CRC-32 and length of every member, zlib-ng doing the work). It
/// reads its input in <see cref="InputBytes"/> blocks and inflates straight into the caller's buffer, which is what
/// makes it faster than <c>GZipStream</c> (see <see cref="ZlibInflater"/>).
/// </summary>
/// <remarks>
/// As with <c>GZipStream</c> under <see cref="StrictGzip"/>, input that ends inside a member fails
/// (<see cref="IsTruncation"/>). Unlike it, bytes after the last member that are neither another member (<c>1f 8b</c>)
/// nor zeros fail too (<see cref="IsTrailingData"/>): a member with a damaged header reads like that.
/// </remarks>
internal sealed class GzipDecoder : ReadOnlyStream
{
    /// <summary>Compressed bytes read per call to the source; the same as the object reader's read-ahead block.</summary>
    public const int InputBytes = CloudTrailObjectReader.ReadAheadBytes;

    private readonly Stream _source;
    private readonly bool _leaveOpen;
    private ZlibInflater _inflater;
    private byte[]? _input;
    private int _start;
    private int _end;
    private bool _sourceEnded;
    private State _state = State.InMember;

    private GzipDecoder(Stream source, bool leaveOpen)
    {
        _source = source;
        _leaveOpen = leaveOpen;
        _inflater = ZlibInflater.CreateForGzip();
        _input = ArrayPool<byte>.Shared.Rent(InputBytes);
    }

    private enum State
    {
        InMember,
        AfterMember,
        Padding,
        Finished,
    }

    /// <summary>
    /// A stream of <paramref name="source"/>'s gzip data decompressed: this decoder, or <c>GZipStream</c> where the
    /// runtime's zlib exports are not found.
    /// </summary>
    public static Stream Open(Stream source, bool leaveOpen = false) =>
        ZlibInflater.IsAvailable ? new GzipDecoder(source, leaveOpen) : new GZipStream(source, CompressionMode.Decompress, leaveOpen);

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            var produced = Step(buffer);
            if (produced != NeedInput)
            {
                return produced;
            }

            Received(_source.Read(FreeInput()));
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var produced = Step(buffer.Span);
            if (produced != NeedInput)
            {
                return produced;
            }

            Received(await _source.ReadAsync(FreeInputMemory(), cancellationToken).ConfigureAwait(false));
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Release();
            if (!_leaveOpen)
            {
                _source.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        Release();
        if (!_leaveOpen)
        {
            await _source.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private const int NeedInput = -1;

    private const string TruncatedKey = "Pipeline.GzipTruncated";

    private const string TrailingDataKey = "Pipeline.GzipTrailingData";

    /// <summary>Whether <paramref name="ex"/> is this decoder's refusal of data after the last member (<see cref="State.Padding"/>).</summary>
    public static bool IsTrailingData(InvalidDataException ex) => ex.Data.Contains(TrailingDataKey);

    private static InvalidDataException TrailingData() =>
        new("the gzip data continues after its last member with bytes that are neither another member nor zero padding")
        {
            Data = { [TrailingDataKey] = true },
        };

    /// <summary>Whether <paramref name="ex"/> says the compressed data ended inside a gzip member (this decoder's or <c>GZipStream</c>'s words).</summary>
    public static bool IsTruncation(InvalidDataException ex) =>
        ex.Data.Contains(TruncatedKey) || ex.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase);

    private static InvalidDataException Truncated() =>
        new("the gzip data is truncated: it ends inside a member, before the member's last block or its CRC-32 and length trailer")
        {
            Data = { [TruncatedKey] = true },
        };

    /// <summary>Decompressed bytes written to <paramref name="output"/>, 0 at the end of the data, or <see cref="NeedInput"/>.</summary>
    private int Step(Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_input is null, this);
        if (output.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            var available = _end - _start;
            switch (_state)
            {
                case State.Finished:
                    return 0;

                case State.AfterMember:
                    if (available == 0 && _sourceEnded)
                    {
                        _state = State.Finished;
                        return 0;
                    }

                    if (available == 0 || (available == 1 && _input![_start] == 0x1f && !_sourceEnded))
                    {
                        return NeedInput; // is what follows another member?
                    }

                    if (_input![_start] != 0x1f || (available > 1 && _input[_start + 1] != 0x8b))
                    {
                        _state = State.Padding; // not another member
                        continue;
                    }

                    // The next member (or a lone 0x1f at the very end, which then reads as a member cut short).
                    _inflater.Dispose();
                    _inflater = ZlibInflater.CreateForGzip();
                    _state = State.InMember;
                    continue;

                case State.Padding:
                    // Zeros after the last member (block-device or tape padding) are ignored; gzip -d accepts them too.
                    // Anything else is refused: gzip -d warns of "trailing garbage" and exits 2, and GZipStream drops
                    // it silently, but a member whose header was damaged reads exactly like that, and its records
                    // would be lost without a word.
                    if (_input.AsSpan(_start, available).ContainsAnyExcept((byte)0))
                    {
                        throw TrailingData();
                    }

                    _start = _end;
                    if (_sourceEnded)
                    {
                        _state = State.Finished;
                        return 0;
                    }

                    return NeedInput;

                default:
                    if (available == 0)
                    {
                        if (_sourceEnded)
                        {
                            throw Truncated();
                        }

                        return NeedInput;
                    }

                    var ended = _inflater.Inflate(_input.AsSpan(_start, available), output, out var consumed, out var produced);
                    _start += consumed;
                    if (ended)
                    {
                        _state = State.AfterMember;
                    }

                    if (produced > 0)
                    {
                        return produced;
                    }

                    if (!ended && consumed == 0 && _start < _end)
                    {
                        // zlib took nothing from non-empty input with room for output: cannot happen with valid state.
                        throw new InvalidOperationException("zlib made no progress on its input");
                    }

                    continue;
            }
        }
    }

    /// <summary>The free part of the input buffer after moving what is left of it to the front.</summary>
    private Span<byte> FreeInput() => FreeInputMemory().Span;

    private Memory<byte> FreeInputMemory()
    {
        var input = _input!;
        if (_start > 0)
        {
            input.AsSpan(_start, _end - _start).CopyTo(input);
            _end -= _start;
            _start = 0;
        }

        return input.AsMemory(_end);
    }

    private void Received(int count)
    {
        if (count == 0)
        {
            _sourceEnded = true;
        }

        _end += count;
    }

    private void Release()
    {
        _inflater.Dispose();
        if (_input is { } input)
        {
            _input = null;
            ArrayPool<byte>.Shared.Return(input);
        }
    }
}
